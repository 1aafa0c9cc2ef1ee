import type { Kysely, Migration } from 'kysely';

export const enhancements: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('enhancements')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('preset', 'text', (c) => c.notNull())
      .addColumn('preservation_level', 'text', (c) => c.notNull())
      .addColumn('instructions', 'text')
      .addColumn('webhook_url', 'text')
      // sha256 of the creating key, the HMAC secret of its webhook signatures (the key itself is never stored).
      .addColumn('signing_key_hash', 'text', (c) => c.notNull())
      .addColumn('total_items', 'integer', (c) => c.notNull())
      .addColumn('completed_items', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failed_items', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('credits_reserved', 'integer', (c) => c.notNull())
      .addColumn('credits_used', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('sandbox', 'integer', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      // Time-sortable copy of the id order for keyset pagination (uuids are not sortable).
      .addColumn('seq', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('completed_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('enhancements_list')
      .on('enhancements')
      .columns(['account_id', 'environment', 'seq'])
      .execute();
    await db.schema
      .createIndex('enhancements_active')
      .on('enhancements')
      .columns(['account_id', 'status'])
      .execute();

    await db.schema
      .createTable('enhancement_items')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('enhancement_id', 'text', (c) =>
        c.notNull().references('enhancements.id').onDelete('cascade'),
      )
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('external_id', 'text')
      .addColumn('source_url', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('result_media_id', 'text')
      .addColumn('thumbnail_media_id', 'text')
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('provider', 'text')
      .addColumn('credits_reserved', 'integer', (c) => c.notNull())
      .addColumn('credits_used', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('enhancement_items_parent')
      .on('enhancement_items')
      .columns(['enhancement_id', 'position'])
      .execute();

    await db.schema
      .createTable('idempotency_records')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text', (c) => c.notNull())
      .addColumn('body_hash', 'text', (c) => c.notNull())
      .addColumn('response_status', 'integer', (c) => c.notNull())
      .addColumn('response_body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_records_pk', ['account_id', 'environment', 'idempotency_key'])
      .execute();
    await db.schema
      .createIndex('idempotency_expiry')
      .on('idempotency_records')
      .columns(['expires_at'])
      .execute();
  },
};
