import type { BlobStore } from '../blobs/blobs.ts';
import type { Log } from '../lib/log.ts';
import type { Store } from '../store/store.ts';
import { dueGarbage, ownedBlobKeys } from './media-repo.ts';

/**
 * Deletes owed blobs and forgets each marker only after the blob store confirmed. A marker of an upload whose
 * row exists (cannot normally happen: the row insert removes it) is dropped without touching the blob.
 */
export async function collectGarbage(
  deps: { store: Store; blobs: BlobStore; logger: Log },
  keys?: string[],
  now = Date.now(),
): Promise<number> {
  const due = keys ?? (await dueGarbage(deps.store, 200, now)).map((g) => g.blob_key);
  const confirmed: string[] = [];
  // The owners of the whole batch in one statement, not one probe per key.
  const owned = await ownedBlobKeys(
    deps.store.db,
    due.filter((key) => !key.endsWith('/')),
  );
  for (const key of due) {
    try {
      if (key.endsWith('/')) await deps.blobs.deletePrefix(key);
      else if (!owned.has(key)) await deps.blobs.delete(key);
      confirmed.push(key);
    } catch (error) {
      // Left for the next sweep: deletion is retried until the blob store confirms.
      deps.logger.warn({ err: error, blob_key: key }, 'blob deletion failed, will retry');
    }
  }
  // The confirmed markers in one statement (one commit for the batch); if it never runs, the next sweep deletes
  // those blobs again, which finds them gone.
  if (confirmed.length > 0)
    await deps.store.db.deleteFrom('blob_garbage').where('blob_key', 'in', confirmed).execute();
  return confirmed.length;
}
