import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { BlobStore } from '../blobs/blobs.ts';
import type { Log } from '../lib/log.ts';
import type { Store } from '../store/store.ts';
import { collectGarbage } from './blob-garbage.ts';
import { deleteMediaRows, expiredBatch } from './media-repo.ts';

/**
 * Expired media read per batch, deleted in transactions of `ROWS_PER_TRANSACTION` with a turn of the event loop after
 * each: on SQLite (synchronous driver) a transaction holds the loop from start to commit, ~1–2 ms for 10–20 rows at
 * 10⁶ media, ~5 ms for 50, ~17–20 ms for 100.
 */
const SWEEP_BATCH = 100;
const ROWS_PER_TRANSACTION = 10;

/**
 * The retention sweep: deletes expired media (rows, originals, renditions) and works off owed blob deletions,
 * including blobs orphaned by a crash between blob write and row insert. Safe to run from several workers.
 */
export async function sweepRetention(
  deps: { store: Store; blobs: BlobStore; logger: Log },
  now = Date.now(),
): Promise<{ media: number; blobs: number }> {
  let media = 0;
  for (;;) {
    const expired = await expiredBatch(deps.store.db, SWEEP_BATCH, now);
    // A few rows per transaction: one commit (fsync) per group instead of per row, yet each transaction short
    // (on SQLite it holds the writer, and its synchronous statements the event loop).
    for (let i = 0; i < expired.length; i += ROWS_PER_TRANSACTION) {
      const group = expired.slice(i, i + ROWS_PER_TRANSACTION).map((row) => row.id);
      media += await deps.store.transaction((tx) => deleteMediaRows(tx, group));
      // Requests waiting behind the sweep run between its transactions (on SQLite each one runs synchronously).
      await yieldToEventLoop();
    }
    if (expired.length < SWEEP_BATCH) break;
  }
  let blobs = 0;
  for (;;) {
    // Blobs of the rows deleted just above are due from the moment they were deleted, which is after `now`
    // when `now` is the present: never collect less than a sweep at the current time would.
    const n = await collectGarbage(deps, undefined, Math.max(now, Date.now()));
    blobs += n;
    if (n < 200) break;
    await yieldToEventLoop();
  }
  return { media, blobs };
}

/** Verification makes an account's uploads permanent; explicit ttls stay (docs/api.md §2.2). Idempotent. */
export async function liftUnverifiedRetention(store: Store, accountId: string): Promise<void> {
  await store.db
    .updateTable('media')
    .set({ expires_at: null, expiry_reason: null, updated_at: Date.now() })
    .where('account_id', '=', accountId)
    .where('expiry_reason', '=', 'unverified')
    .execute();
}
