import { START_JOB } from '../enhancements/create-enhancement.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';

/** Idempotency records are kept at least 24 h (docs/api.md §3.2), then swept. */
export async function sweepIdempotencyRecords(store: Store, now = Date.now()): Promise<number> {
  const result = await store.db
    .deleteFrom('idempotency_records')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * A crash between the create transaction and the enqueue leaves a queued batch with no job. Re-enqueueing its
 * start job is safe at any time: the dedupe key and the idempotent handlers make it a no-op when the job exists.
 */
export async function requeueStranded(
  deps: { store: Store; queue: JobQueue },
  olderThanMs = 60_000,
  now = Date.now(),
): Promise<number> {
  const stranded = await deps.store.db
    .selectFrom('enhancements')
    .select('id')
    .where('status', 'in', ['queued', 'processing'])
    .where('updated_at', '<', now - olderThanMs)
    .limit(500)
    .execute();
  for (const { id } of stranded)
    await deps.queue.enqueue(START_JOB, { enhancementId: id }, { dedupeKey: id });
  return stranded.length;
}
