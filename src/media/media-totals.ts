import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Log } from '../lib/log.ts';
import type { Db, Store } from '../store/store.ts';

/** Media rows read per statement while counting: a few milliseconds of work between yields to the event loop. */
const COUNT_CHUNK = 1000;
/** Accounts checked per call; the caller keeps the cursor, so a sweep does a bounded slice and the next goes on. */
const ACCOUNTS_PER_CALL = 100;

interface Counted {
  bytes: number;
  count: number;
}

/**
 * Bytes and count of one account's media, walked in chunks along its list index (`media_account_list`) with a
 * yield between chunks, so a million-media account never holds the event loop.
 */
async function countAccountMedia(db: Db, accountId: string, chunk: number): Promise<Counted> {
  const counted: Counted = { bytes: 0, count: 0 };
  let after: { environment: 'live' | 'test'; created_at: number; id: string } | undefined;
  for (;;) {
    let q = db
      .selectFrom('media')
      .select(['environment', 'created_at', 'id', 'filesize'])
      .where('account_id', '=', accountId)
      .orderBy('environment')
      .orderBy('created_at')
      .orderBy('id')
      .limit(chunk);
    if (after) {
      const from = after;
      q = q.where(({ eb, refTuple, tuple }) =>
        eb(
          refTuple('environment', 'created_at', 'id'),
          '>',
          tuple(from.environment, from.created_at, from.id),
        ),
      );
    }
    const rows = await q.execute();
    for (const row of rows) counted.bytes += Number(row.filesize);
    counted.count += rows.length;
    const last = rows.at(-1);
    if (!last || rows.length < chunk) return counted;
    after = { environment: last.environment, created_at: Number(last.created_at), id: last.id };
    await yieldToEventLoop();
  }
}

/**
 * Checks each account's `media_totals` against its media and corrects drift (logged: a drift means some write
 * path missed the counter). Counting is not one snapshot, so a correction applies only if the counter's version
 * did not move while counting (`where version = …`; on PostgreSQL that update waits for a concurrent writer and
 * then finds the version changed): an account busy meanwhile is left for the next sweep.
 * Returns the accounts checked and fixed, and where the next call goes on (`null`: the walk is complete).
 */
export async function reconcileMediaTotals(
  deps: { store: Store; logger: Log },
  options: { after?: string; accounts?: number; chunk?: number } = {},
): Promise<{ checked: number; fixed: number; next: string | null }> {
  const { db } = deps.store;
  const limit = options.accounts ?? ACCOUNTS_PER_CALL;
  let q = db.selectFrom('accounts').select('id').orderBy('id').limit(limit);
  if (options.after) q = q.where('id', '>', options.after);
  const accounts = await q.execute();
  let fixed = 0;
  for (const { id } of accounts) {
    const before = await db
      .selectFrom('media_totals')
      .select(['bytes', 'media_count', 'version'])
      .where('account_id', '=', id)
      .executeTakeFirst();
    const actual = await countAccountMedia(db, id, options.chunk ?? COUNT_CHUNK);
    const recorded = { bytes: Number(before?.bytes ?? 0), count: Number(before?.media_count ?? 0) };
    if (recorded.bytes === actual.bytes && recorded.count === actual.count) continue;
    const corrected = before
      ? await db
          .updateTable('media_totals')
          .set((eb) => ({ bytes: actual.bytes, media_count: actual.count, version: eb('version', '+', 1) }))
          .where('account_id', '=', id)
          .where('version', '=', before.version)
          .executeTakeFirst()
          .then((r) => Number(r.numUpdatedRows) > 0)
      : await db
          .insertInto('media_totals')
          .values({ account_id: id, bytes: actual.bytes, media_count: actual.count, version: 1 })
          .onConflict((oc) => oc.column('account_id').doNothing())
          .returning('account_id')
          .executeTakeFirst()
          .then((r) => r !== undefined);
    if (corrected) {
      fixed++;
      deps.logger.warn(
        {
          account_id: id,
          recorded_bytes: recorded.bytes,
          actual_bytes: actual.bytes,
          recorded_media: recorded.count,
          actual_media: actual.count,
        },
        'media totals drifted; corrected',
      );
    }
  }
  const next = accounts.length < limit ? null : (accounts.at(-1)?.id ?? null);
  return { checked: accounts.length, fixed, next };
}
