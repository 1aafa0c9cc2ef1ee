import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The operator pages' reads (docs/web.md, "Operator pages"), kept cheap however large the tables grow: the status
 * page's newest failed items (a partial index: failed items only, newest first), and the webhook deliveries page,
 * newest first, for every account or one.
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
  },
};
