import type { Kysely, Migration } from 'kysely';

export const itemWarnings: Migration = {
  async up(db: Kysely<unknown>) {
    // What the pipeline said about a completed item (`[{code, message}]`, JSON text): written in the transaction
    // that completes the item, `[]` for every other item, old rows included.
    await db.schema
      .alterTable('enhancement_items')
      .addColumn('warnings', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();
    // Completed items that carry at least one warning, kept beside completed_items/failed_items so list entries
    // and webhook summaries (which have no items) say which batches deserve a look.
    await db.schema
      .alterTable('enhancements')
      .addColumn('items_with_warnings', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
