import type { Kysely, Migration } from 'kysely';

export const mediaLevels: Migration = {
  async up(db: Kysely<unknown>) {
    // How many pyramid levels (imaging/pyramid.ts) exist under `renditions/<id>/`; 0 until the job has built them.
    await db.schema
      .alterTable('media')
      .addColumn('levels', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
