import type { Kysely, Migration } from 'kysely';

export const webhooks: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('webhook_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('enhancement_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('endpoint_url', 'text', (c) => c.notNull())
      // The exact bytes sent and signed at every attempt.
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('signing_key_hash', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint')
      // A sender holds the event until then: one delivery of an event at a time, whoever triggered it.
      .addColumn('sending_until', 'bigint')
      .addColumn('delivered_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('webhook_events_enhancement')
      .on('webhook_events')
      .columns(['enhancement_id', 'id'])
      .execute();
    await db.schema
      .createIndex('webhook_events_due')
      .on('webhook_events')
      .columns(['status', 'next_attempt_at'])
      .execute();

    await db.schema
      .createTable('webhook_attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull().references('webhook_events.id').onDelete('cascade'))
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('response_excerpt', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('webhook_attempts_event')
      .on('webhook_attempts')
      .columns(['event_id', 'attempt'])
      .execute();
  },
};
