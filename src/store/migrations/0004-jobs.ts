import type { Kysely, Migration } from 'kysely';

/** The embedded job queue (src/queue/sql-queue.ts): one row per job that is waiting, running or dead. */
export const jobs: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      // 'queued' | 'running' | 'dead'. Finished jobs are deleted, so there is no 'done'.
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('dedupe_key', 'text')
      // Starts, not failures: a start whose worker died counts too, so a job that kills its worker cannot loop.
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('run_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_until', 'bigint')
      // Which claim owns the row: every write of a running job is conditional on it, so a worker that lost its
      // lease cannot overwrite the new owner's outcome.
      .addColumn('lease_token', 'text')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // Unique per job name; rows without a key have a NULL key, which never conflicts on either dialect.
    await db.schema.createIndex('jobs_dedupe').on('jobs').columns(['name', 'dedupe_key']).unique().execute();
    await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'run_at']).execute();
    await db.schema.createIndex('jobs_lease').on('jobs').columns(['status', 'lease_until']).execute();
  },
};
