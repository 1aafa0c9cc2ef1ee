import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Request cost independent of how many media an account holds (docs/query-plans.md):
 * - `media_totals`: each account's stored bytes and media count as counters, changed in the transaction of every
 *   media insert and delete, so quota checks and `GET /v1/usage` read one row instead of summing the account;
 * - `media_tags` carries its media's account, environment and `created_at`, so one tag's newest-first page is a
 *   range of one index (the old table only knew media id and tag);
 * - indexes for the lookups that scanned: media by `blob_key` (blob garbage collection) and an account's namespace
 *   pages.
 */
export const scaleIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('media_totals')
      .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
      .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('media_count', 'bigint', (c) => c.notNull().defaultTo(0))
      // Bumped by every change: reconciliation only corrects a counter that did not move while it was counting.
      .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await sql`
      insert into media_totals (account_id, bytes, media_count)
      select account_id, sum(filesize), count(*) from media where account_id is not null group by account_id
    `.execute(db);

    await db.schema
      .createTable('media_tags_next')
      .addColumn('media_id', 'text', (c) => c.notNull().references('media.id').onDelete('cascade'))
      .addColumn('tag', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text')
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('media_tags_media_tag_pk', ['media_id', 'tag'])
      .execute();
    await sql`
      insert into media_tags_next (media_id, tag, account_id, environment, created_at)
      select t.media_id, t.tag, m.account_id, m.environment, m.created_at
      from media_tags t join media m on m.id = t.media_id
    `.execute(db);
    await db.schema.dropTable('media_tags').execute();
    await db.schema.alterTable('media_tags_next').renameTo('media_tags').execute();
    await db.schema
      .createIndex('media_tags_page')
      .on('media_tags')
      .columns(['account_id', 'environment', 'tag', 'created_at', 'media_id'])
      .execute();

    await db.schema.createIndex('media_blob_key').on('media').columns(['blob_key']).execute();
    await db.schema
      .createIndex('media_namespace_page')
      .on('media')
      .columns(['account_id', 'environment', 'namespace', 'created_at', 'id'])
      .execute();
  },
};
