import type { LevelEncoding } from '../imaging/index.ts';
import { randomBase62, randomToken } from '../lib/ids.ts';
import type { MediaTable } from '../store/database.ts';
import type { Db, Store, Tx } from '../store/store.ts';

export type MediaRow = MediaTable;

/** In the media delete transaction: their rendition rows go (their blobs go with `renditions/<id>/`). */
async function dropRenditionRows(tx: Tx, mediaIds: string[]): Promise<void> {
  const rows = await tx
    .selectFrom('rendition_cache')
    .select((eb) => eb.fn.sum<number>('bytes').as('bytes'))
    .where('media_id', 'in', mediaIds)
    .executeTakeFirst();
  const bytes = Number(rows?.bytes ?? 0);
  await tx.deleteFrom('rendition_cache').where('media_id', 'in', mediaIds).execute();
  await tx.deleteFrom('rendition_counts').where('media_id', 'in', mediaIds).execute();
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
/**
 * Pyramid levels live beside the renditions, so deleting or expiring the media removes them with those. The
 * extension says how the level is stored (imaging/pyramid.ts `levelEncoding`).
 */
export const levelKey = (id: string, level: number, encoding: LevelEncoding): string =>
  `${renditionsPrefix(id)}level-${level}.${encoding}`;

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

/** The rows a media's tags index under (`media_tags`): a tag's newest-first page is one range of that index. */
const tagRows = (row: Pick<MediaRow, 'id' | 'account_id' | 'environment' | 'created_at'>, tags: string[]) =>
  tags.map((tag) => ({
    media_id: row.id,
    tag,
    account_id: row.account_id,
    environment: row.environment,
    created_at: row.created_at,
  }));

/** Rows per statement: media has ~22 columns, and SQLite binds at most 32 766 parameters. */
const INSERT_CHUNK = 1000;

/**
 * Inserts media rows, their tags and, in the same transaction, adds their bytes and count to each owner's
 * `media_totals` (one upsert per account: concurrent inserts add up on PostgreSQL too).
 */
export async function insertMediaRows(tx: Tx, rows: readonly MediaRow[]): Promise<void> {
  const totals = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    await tx.insertInto('media').values(chunk).execute();
    const tags = chunk.flatMap((row) => tagRows(row, JSON.parse(row.tags) as string[]));
    for (let j = 0; j < tags.length; j += INSERT_CHUNK * 2) {
      await tx
        .insertInto('media_tags')
        .values(tags.slice(j, j + INSERT_CHUNK * 2))
        .execute();
    }
  }
  for (const row of rows) {
    if (row.account_id === null) continue;
    const total = totals.get(row.account_id) ?? { bytes: 0, count: 0 };
    total.bytes += Number(row.filesize);
    total.count += 1;
    totals.set(row.account_id, total);
  }
  for (const [accountId, total] of totals) {
    await tx
      .insertInto('media_totals')
      .values({ account_id: accountId, bytes: total.bytes, media_count: total.count, version: 1 })
      .onConflict((oc) =>
        oc.column('account_id').doUpdateSet((eb) => ({
          bytes: eb('media_totals.bytes', '+', eb.ref('excluded.bytes')),
          media_count: eb('media_totals.media_count', '+', eb.ref('excluded.media_count')),
          version: eb('media_totals.version', '+', 1),
        })),
      )
      .execute();
  }
}

export async function insertMediaRow(tx: Tx, row: MediaRow): Promise<void> {
  await insertMediaRows(tx, [row]);
}

export async function replaceTags(
  tx: Tx,
  row: Pick<MediaRow, 'id' | 'account_id' | 'environment' | 'created_at'>,
  tags: string[],
): Promise<void> {
  await tx.deleteFrom('media_tags').where('media_id', '=', row.id).execute();
  if (tags.length > 0) await tx.insertInto('media_tags').values(tagRows(row, tags)).execute();
}

export async function findMedia(db: Db, id: string): Promise<MediaRow | undefined> {
  return db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Deletes one media row (its tags go by cascade) and takes its bytes off its owner's `media_totals` in the same
 * transaction. False when the row was already gone.
 */
export async function deleteCountedRow(tx: Tx, id: string): Promise<boolean> {
  // The deleted row's own owner and size (RETURNING): what the counter loses is exactly what was removed.
  const removed = await tx
    .deleteFrom('media')
    .where('id', '=', id)
    .returning(['account_id', 'filesize'])
    .executeTakeFirst();
  if (!removed) return false;
  if (removed.account_id !== null) {
    await tx
      .updateTable('media_totals')
      .set((eb) => ({
        bytes: eb('bytes', '-', Number(removed.filesize)),
        media_count: eb('media_count', '-', 1),
        version: eb('version', '+', 1),
      }))
      .where('account_id', '=', removed.account_id)
      .execute();
  }
  return true;
}

/**
 * Removes the row and, in the same transaction, records its blobs as garbage due now: after commit the caller
 * deletes them, and whatever that fails to delete the sweeper retries until clean.
 */
export async function deleteMediaRow(tx: Tx, media: Pick<MediaRow, 'id'>): Promise<boolean> {
  return (await deleteMediaRows(tx, [media.id])) === 1;
}

/**
 * `deleteMediaRow` for a batch (the retention sweep): the rows still there go in a few statements whatever their
 * number (not seven per row), each owner's totals lose exactly what `RETURNING` says was removed, and every blob
 * of theirs is marked due. Returns how many rows this transaction deleted.
 */
export async function deleteMediaRows(tx: Tx, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const removed = await tx
    .deleteFrom('media')
    .where('id', 'in', ids)
    .returning(['id', 'account_id', 'filesize', 'blob_key'])
    .execute();
  if (removed.length === 0) return 0;
  const lost = new Map<string, { bytes: number; count: number }>();
  for (const row of removed) {
    if (row.account_id === null) continue;
    const entry = lost.get(row.account_id) ?? { bytes: 0, count: 0 };
    entry.bytes += Number(row.filesize);
    entry.count += 1;
    lost.set(row.account_id, entry);
  }
  // Accounts in one order, so two sweepers (or a sweeper and a request) lock the totals rows in the same order.
  for (const [accountId, { bytes, count }] of [...lost].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await tx
      .updateTable('media_totals')
      .set((eb) => ({
        bytes: eb('bytes', '-', bytes),
        media_count: eb('media_count', '-', count),
        version: eb('version', '+', 1),
      }))
      .where('account_id', '=', accountId)
      .execute();
  }
  const removedIds = removed.map((row) => row.id);
  await dropRenditionRows(tx, removedIds);
  const now = Date.now();
  // Distinct keys: one statement may not upsert the same row twice (PostgreSQL).
  const keys = [...new Set(removed.flatMap((row) => [row.blob_key, renditionsPrefix(row.id)]))];
  await tx
    .insertInto('blob_garbage')
    .values(keys.map((blob_key) => ({ blob_key, due_at: now })))
    .onConflict((oc) => oc.column('blob_key').doUpdateSet({ due_at: now }))
    .execute();
  return removed.length;
}

/** Which of `blobKeys` a row still owns (blob garbage collection): one probe of `media_blob_key` per key. */
export async function ownedBlobKeys(db: Db, blobKeys: string[]): Promise<Set<string>> {
  if (blobKeys.length === 0) return new Set();
  const owners = await db.selectFrom('media').select('blob_key').where('blob_key', 'in', blobKeys).execute();
  return new Set(owners.map((row) => row.blob_key));
}

/** The next expired media for the retention sweep, soonest-expired first: a range of `media_expiry`. */
export async function expiredBatch(
  db: Db,
  limit: number,
  now = Date.now(),
): Promise<Pick<MediaRow, 'id' | 'blob_key'>[]> {
  return db
    .selectFrom('media')
    .select(['id', 'blob_key'])
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
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
