import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Pyramid levels up to 2 MP are now stored uncompressed, in libvips's format, under `level-<n>.vips`
 * (imaging/pyramid.ts, vips-level.ts), no longer as `level-<n>.jpeg`, which renditions no longer look for at those
 * sizes. As in 0014, marking levels unbuilt makes each media's next uncached rendition that would use one ask for a
 * new pyramid (reading the original meanwhile); the pyramid job removes the JPEG blob an uncompressed level replaces.
 */
export const rawPyramidLevels: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`update media set levels = 0 where levels > 0`.execute(db);
  },
};
