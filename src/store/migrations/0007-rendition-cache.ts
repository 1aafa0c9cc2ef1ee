import { type Kysely, type Migration, sql } from 'kysely';

export const renditionCache: Migration = {
  async up(db: Kysely<unknown>) {
    // One row per cached rendition blob (`renditions/<id>/<key>`), written before it is computed (a reservation,
    // bytes 0) and completed with its size: the per-media cap counts rows, LRU eviction reads `last_used_at`.
    // Originals and pyramid levels have no row: they are never evicted.
    await db.schema
      .createTable('rendition_cache')
      .addColumn('blob_key', 'text', (c) => c.primaryKey())
      .addColumn('media_id', 'text', (c) => c.notNull())
      // 1: a parameterised rendition, counted against LIGHTBOX_RENDITIONS_PER_MEDIA; 0: a preset or the original.
      .addColumn('counted', 'integer', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('width', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('height', 'integer', (c) => c.notNull().defaultTo(0))
      // 0 while it is being computed.
      .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('last_used_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('rendition_cache_lru')
      .on('rendition_cache')
      .columns(['last_used_at'])
      .execute();
    await db.schema
      .createIndex('rendition_cache_media')
      .on('rendition_cache')
      .columns(['media_id', 'counted'])
      .execute();
    // Counted renditions per media, raised with a conditional UPDATE (`count < cap`): the row lock makes racing
    // reservations on PostgreSQL wait for each other and re-check, so the cap holds exactly across processes.
    await db.schema
      .createTable('rendition_counts')
      .addColumn('media_id', 'text', (c) => c.primaryKey())
      .addColumn('count', 'integer', (c) => c.notNull())
      .execute();
    // Bytes of every completed rendition row: one row, so the eviction check is a primary-key read.
    await db.schema
      .createTable('rendition_totals')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into rendition_totals (id, bytes) values (1, 0)`.execute(db);
  },
};
