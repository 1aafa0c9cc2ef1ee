import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/**
 * The enhancement list as ranges of one account's index, whatever the planner's statistics (docs/query-plans.md):
 * - `seq` was unique across all accounts (`enhancements_seq_key`). PostgreSQL walked that index backwards and
 *   filtered other accounts' and the other environment's batches out (it costs heap reads by the leading column's
 *   correlation, and `account_id` correlates poorly with the table's order), so a page read as many rows as lay
 *   between its batches in the whole table. The keyset only needs `seq` unique within its range: `enhancements_list`
 *   becomes that unique index and the global constraint goes. SQLite keeps its inline `UNIQUE` (it cannot drop one
 *   without rebuilding a referenced table), and its planner takes the index with the equality columns anyway.
 * - `status=` pages get their own range (`enhancements_status_page`) instead of filtering the account's batches,
 *   which walked all of them for a status none has.
 * - The maintenance sweep's stranded batches (`status in ('queued', 'processing') and updated_at < ?`, every
 *   account's) are two short ranges of `enhancements_in_flight` instead of a scan of every batch ever made.
 */
export const enhancementPages: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('enhancements_list').execute();
    await db.schema
      .createIndex('enhancements_list')
      .unique()
      .on('enhancements')
      .columns(['account_id', 'environment', 'seq'])
      .execute();
    if (db.getExecutor().adapter instanceof PostgresAdapter)
      await sql`alter table enhancements drop constraint enhancements_seq_key`.execute(db);
    await db.schema
      .createIndex('enhancements_status_page')
      .on('enhancements')
      .columns(['account_id', 'environment', 'status', 'seq'])
      .execute();
    await db.schema
      .createIndex('enhancements_in_flight')
      .on('enhancements')
      .columns(['status', 'updated_at'])
      .execute();
  },
};
