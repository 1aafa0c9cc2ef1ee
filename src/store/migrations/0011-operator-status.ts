import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The operator pages' reads (docs/web.md, "Operator pages"), kept cheap however large the tables grow: the status
 * page's newest failed items (a partial index: failed items only) and webhook events out of retries; the webhook
 * deliveries page newest first, for every account or one; the accounts page newest first.
 */
export const operatorStatus: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('enhancement_items_failed')
      .on('enhancement_items')
      .columns(['updated_at'])
      .where(sql.ref('status'), '=', sql.lit('failed'))
      .execute();
    await db.schema
      .createIndex('webhook_events_recent')
      .on('webhook_events')
      .columns(['created_at'])
      .execute();
    await db.schema
      .createIndex('webhook_events_account')
      .on('webhook_events')
      .columns(['account_id', 'created_at'])
      .execute();
    await db.schema
      .createIndex('webhook_events_status')
      .on('webhook_events')
      .columns(['status', 'created_at'])
      .execute();
    await db.schema.createIndex('accounts_recent').on('accounts').columns(['created_at', 'id']).execute();
  },
};
