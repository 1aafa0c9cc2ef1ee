import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Pyramid levels are now resized from the original at q100 4:2:0 (imaging/pyramid.ts); the older ones were halved
 * from each other at q95 and cost every rendition read from them similarity, hence bytes. Marking them unbuilt makes
 * each media's first uncached rendition that would use one ask for a new pyramid, as for media stored before levels
 * existed (media/pyramid-job.ts); until it is built, renditions read the original. The new levels overwrite the old
 * blobs under the same keys, and renditions already cached from the old ones stay valid.
 */
export const rebuildPyramidLevels: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`update media set levels = 0 where levels > 0`.execute(db);
  },
};
