import type { Kysely, Migration } from 'kysely';

export const mediaLevels: Migration = {
  async up(db: Kysely<unknown>) {
    // Pyramid levels (imaging/pyramid.ts) under `renditions/<id>/`: 0 not built yet, -1 none for this source, n built.
    await db.schema
      .alterTable('media')
      .addColumn('levels', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
