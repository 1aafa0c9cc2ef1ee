import { type Kysely, type Migration, sql } from 'kysely';

// Only portable column types (text, integer, bigint): the same file runs on SQLite and PostgreSQL.
export const accountsKeysLedger: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('plan', 'text', (c) => c.notNull())
      .addColumn('registration_policy', 'text', (c) => c.notNull().defaultTo('approval'))
      .addColumn('suspended', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('payment_risk', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('paid_available', 'bigint', (c) =>
        c.notNull().defaultTo(0).check(sqlNonNegative('paid_available')),
      )
      .addColumn('paid_reserved', 'bigint', (c) =>
        c.notNull().defaultTo(0).check(sqlNonNegative('paid_reserved')),
      )
      .addColumn('lifetime_purchased', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('promotional', 'bigint', (c) =>
        c.notNull().defaultTo(0).check(sqlNonNegative('promotional')),
      )
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('hint', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('api_keys_account')
      .on('api_keys')
      .columns(['account_id', 'status'])
      .execute();

    await db.schema
      .createTable('ledger_entries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('balance_after', 'bigint', (c) => c.notNull())
      .addColumn('enhancement_id', 'text')
      .addColumn('note', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('ledger_entries_account')
      .on('ledger_entries')
      .columns(['account_id', 'id'])
      .execute();

    await db.schema
      .createTable('outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('to_email', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('links', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint')
      .execute();
    await db.schema.createIndex('outbox_to').on('outbox').columns(['to_email', 'id']).execute();
  },
};

function sqlNonNegative(column: string) {
  return sql`${sql.ref(column)} >= 0`;
}
