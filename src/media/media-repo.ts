import { randomBase62, randomToken } from '../lib/ids.ts';
import type { MediaTable } from '../store/database.ts';
import type { Db, Store, Tx } from '../store/store.ts';

export type MediaRow = MediaTable;

/** In the media delete transaction: its rendition rows go (their blobs go with `renditions/<id>/`). */
async function dropRenditionRows(tx: Tx, mediaId: string): Promise<void> {
  const rows = await tx
    .selectFrom('rendition_cache')
    .select((eb) => eb.fn.sum<number>('bytes').as('bytes'))
    .where('media_id', '=', mediaId)
    .executeTakeFirst();
  const bytes = Number(rows?.bytes ?? 0);
  await tx.deleteFrom('rendition_cache').where('media_id', '=', mediaId).execute();
  await tx.deleteFrom('rendition_counts').where('media_id', '=', mediaId).execute();
  if (bytes > 0) {
    await tx
      .updateTable('rendition_totals')
      .set((eb) => ({ bytes: eb('bytes', '-', bytes) }))
      .where('id', '=', 1)
      .execute();
  }
}

/** Grace before an unfinished upload's blob counts as orphaned (uploads of 70 MB take well under this). */
export const UPLOAD_GRACE_MS = 3_600_000;

export const newMediaId = (): string => randomBase62(8);
/** 96 bits: the `src` of a private image cannot be guessed or derived from its id. */
export const newMediaToken = (): string => randomToken(12);
export const originalKey = (id: string): string => `originals/${id}`;
export const renditionsPrefix = (id: string): string => `renditions/${id}/`;
/** Pyramid levels live beside the renditions, so deleting or expiring the media removes them with those. */
export const levelKey = (id: string, level: number): string => `${renditionsPrefix(id)}level-${level}.jpeg`;

/** Announces a blob before it is written, so a crash before its row exists leaves a marker the sweeper acts on. */
export async function announceBlob(db: Db, blobKey: string): Promise<void> {
  await db
    .insertInto('blob_garbage')
    .values({ blob_key: blobKey, due_at: Date.now() + UPLOAD_GRACE_MS })
    .onConflict((oc) => oc.column('blob_key').doNothing())
    .execute();
}

/** In the row-insert transaction: the blob is now owned by a row and must not be collected. */
export async function claimBlob(tx: Tx, blobKey: string): Promise<void> {
  await tx.deleteFrom('blob_garbage').where('blob_key', '=', blobKey).execute();
}

export async function insertMediaRow(tx: Tx, row: MediaRow): Promise<void> {
  await tx.insertInto('media').values(row).execute();
  const tags = JSON.parse(row.tags) as string[];
  if (tags.length > 0) {
    await tx
      .insertInto('media_tags')
      .values(tags.map((tag) => ({ media_id: row.id, tag })))
      .execute();
  }
}

export async function replaceTags(tx: Tx, mediaId: string, tags: string[]): Promise<void> {
  await tx.deleteFrom('media_tags').where('media_id', '=', mediaId).execute();
  if (tags.length > 0) {
    await tx
      .insertInto('media_tags')
      .values(tags.map((tag) => ({ media_id: mediaId, tag })))
      .execute();
  }
}

export async function findMedia(db: Db, id: string): Promise<MediaRow | undefined> {
  return db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Removes the row and, in the same transaction, records its blobs as garbage due now: after commit the caller
 * deletes them, and whatever that fails to delete the sweeper retries until clean.
 */
export async function deleteMediaRow(tx: Tx, media: Pick<MediaRow, 'id' | 'blob_key'>): Promise<boolean> {
  const result = await tx.deleteFrom('media').where('id', '=', media.id).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) return false;
  await dropRenditionRows(tx, media.id);
  const now = Date.now();
  for (const key of [media.blob_key, renditionsPrefix(media.id)]) {
    await tx
      .insertInto('blob_garbage')
      .values({ blob_key: key, due_at: now })
      .onConflict((oc) => oc.column('blob_key').doUpdateSet({ due_at: now }))
      .execute();
  }
  return true;
}

export async function dueGarbage(
  store: Store,
  limit: number,
  now = Date.now(),
): Promise<{ blob_key: string }[]> {
  return store.db
    .selectFrom('blob_garbage')
    .select('blob_key')
    .where('due_at', '<=', now)
    .orderBy('due_at')
    .limit(limit)
    .execute();
}
