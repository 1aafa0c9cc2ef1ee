import type { Kysely, Migration } from 'kysely';

export const media: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('media')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // Null for anonymous uploads.
      .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('token', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('frames', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('filesize', 'bigint', (c) => c.notNull())
      .addColumn('blob_key', 'text', (c) => c.notNull())
      .addColumn('namespace', 'text')
      .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('public', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('date', 'text')
      .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
      // Why the media expires: 'ttl' (asked for), 'unverified' or 'anonymous' (lifted by verification where allowed).
      .addColumn('expiry_reason', 'text')
      .addColumn('expires_at', 'bigint')
      .addColumn('client_ip', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('media_account_list')
      .on('media')
      .columns(['account_id', 'environment', 'created_at', 'id'])
      .execute();
    await db.schema.createIndex('media_expiry').on('media').columns(['expires_at']).execute();

    await db.schema
      .createTable('media_tags')
      .addColumn('media_id', 'text', (c) => c.notNull().references('media.id').onDelete('cascade'))
      .addColumn('tag', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('media_tags_pk', ['media_id', 'tag'])
      .execute();
    await db.schema.createIndex('media_tags_tag').on('media_tags').columns(['tag', 'media_id']).execute();

    // Monthly upload counts survive deletes: deleting media frees storage, not the month's upload count.
    await db.schema
      .createTable('upload_counts')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('month', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('upload_counts_pk', ['account_id', 'month'])
      .execute();

    // Blobs that may need deleting, worked off by the sweeper once `due_at` passes:
    // - written with the row delete, in the same transaction, so a media delete is never left half-done;
    // - written *before* an upload's blob (due an hour later) and removed with the row insert, so a crash
    //   between blob write and row insert leaves a marker that gets the orphan blob deleted.
    // A key ending in `/` stands for every blob under that prefix (a media's renditions).
    await db.schema
      .createTable('blob_garbage')
      .addColumn('blob_key', 'text', (c) => c.primaryKey())
      .addColumn('due_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('blob_garbage_due').on('blob_garbage').columns(['due_at']).execute();
  },
};
