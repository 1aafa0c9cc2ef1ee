import { Type } from '@sinclair/typebox';
import type { BlobStore } from '../blobs/blobs.ts';
import { START_JOB } from '../enhancements/create-enhancement.ts';
import type { Log } from '../lib/log.ts';
import { requeueUnsentMail } from '../mail/smtp-mail.ts';
import { reconcileMediaTotals } from '../media/media-totals.ts';
import { sweepRetention } from '../media/retention-sweeper.ts';
import { type JobHandlers, type JobQueue, jobSpec } from '../queue/queue.ts';
import { sweepWebSessions } from '../sessions/sessions.ts';
import type { Store } from '../store/store.ts';
import { requeueDueWebhooks } from '../webhooks/webhook-delivery.ts';

/** The periodic sweep, scheduled as a job (background.ts) so that several workers run one per slot between them. */
export const MAINTENANCE_JOB = jobSpec({
  name: 'maintenance.sweep',
  payload: Type.Object({ slot: Type.Number() }),
  maxAttempts: 3,
});

export interface MaintenanceDeps {
  store: Store;
  blobs: BlobStore;
  queue: JobQueue;
  logger: Log;
  /** Whether unsent outbox mail is handed to SMTP again (only when mail is delivered by SMTP). */
  requeueMail: boolean;
}

export function maintenanceHandlers(deps: MaintenanceDeps): JobHandlers<typeof MAINTENANCE_JOB> {
  // Where this worker's reconciliation of media totals goes on: each sweep checks a bounded slice of accounts.
  let totalsCursor: string | undefined;
  return {
    [MAINTENANCE_JOB.name]: {
      // Expired media and owed blob deletions, stale idempotency records, expired web sessions and sign-in links,
      // batches whose start job was lost, and mail whose delivery job was lost; a slice of the media totals
      // checked against the media (drift is corrected and logged there); SQLite's planner statistics refreshed.
      async handle() {
        const result = await sweepRetention(deps);
        const totals = await reconcileMediaTotals(deps, { after: totalsCursor });
        totalsCursor = totals.next ?? undefined;
        await deps.store.optimize();
        const records = await sweepIdempotencyRecords(deps.store);
        const sessions = await sweepWebSessions(deps.store);
        const requeued =
          (await requeueStranded(deps)) +
          (await requeueDueWebhooks(deps)) +
          (deps.requeueMail ? await requeueUnsentMail(deps) : 0);
        if (result.media + result.blobs + records + sessions + requeued > 0) {
          deps.logger.info(
            { ...result, idempotency_records: records, web_sessions: sessions, requeued },
            'maintenance sweep',
          );
        }
      },
    },
  };
}

/** Idempotency records are kept at least 24 h (docs/api.md §3.2), then swept. */
async function sweepIdempotencyRecords(store: Store, now = Date.now()): Promise<number> {
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
async function requeueStranded(
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
