import { Type } from '@sinclair/typebox';
import type { SafeFetcher } from '../fetcher/index.ts';
import { randomBase62 } from '../lib/ids.ts';
import type { Log } from '../lib/log.ts';
import type { Metrics } from '../lib/metrics.ts';
import { type JobHandlers, type JobQueue, jobSpec } from '../queue/queue.ts';
import type { WebhookAttemptsTable } from '../store/database.ts';
import type { Store } from '../store/store.ts';
import { signatureHeaders } from './webhook-signing.ts';

export const DELIVER_JOB = jobSpec({
  name: 'webhook.deliver',
  payload: Type.Object({ eventId: Type.String(), attempt: Type.Number() }),
  maxAttempts: 3,
});

export interface DeliveryDeps {
  store: Store;
  fetcher: SafeFetcher;
  queue: JobQueue;
  logger: Log;
  metrics: Metrics;
  /** Seconds before attempt 2, 3, …; the event fails after the last one. */
  retryDelays: number[];
  /** Override for tests; jitter keeps a fleet of retries from arriving in lockstep. */
  random?: () => number;
}

const TIMEOUT_MS = 10_000;
/** How long one sender owns an event: longer than a delivery can take, so a crashed sender frees it soon. */
const SEND_LEASE_MS = TIMEOUT_MS * 3;
const EXCERPT_BYTES = 1024;

/** Enqueues the next attempt for an event; the dedupe key makes retries and sweeps safe to repeat. */
function enqueueAttempt(queue: JobQueue, eventId: string, attempt: number, delayMs = 0) {
  return queue.enqueue(DELIVER_JOB, { eventId, attempt }, { dedupeKey: `${eventId}:${attempt}`, delayMs });
}

/**
 * A redelivery asked for now: a job of its own. Under the attempt's dedupe key it would merge into the retry that
 * may already wait in the queue for that attempt (hours away) and not be sent now.
 */
export function enqueueRedelivery(queue: JobQueue, eventId: string, attempt: number) {
  return queue.enqueue(
    DELIVER_JOB,
    { eventId, attempt },
    { dedupeKey: `${eventId}:${attempt}:redelivery:${randomBase62(10)}` },
  );
}

/**
 * One delivery attempt per job: POST through the safe fetcher in HTTPS-only mode (target re-checked every time),
 * 10 s timeout, no redirects, 2xx = delivered. Every attempt is recorded; failures schedule the next attempt with
 * exponential backoff and jitter. The send lease keeps one event from being sent twice at once.
 */
export function webhookDeliveryHandlers(deps: DeliveryDeps): JobHandlers<typeof DELIVER_JOB> {
  return {
    [DELIVER_JOB.name]: {
      async handle({ eventId }) {
        const now = Date.now();
        const claimed = await deps.store.db
          .updateTable('webhook_events')
          .set({ sending_until: now + SEND_LEASE_MS })
          .where('id', '=', eventId)
          .where('status', '=', 'pending')
          .where((eb) => eb.or([eb('sending_until', 'is', null), eb('sending_until', '<', now)]))
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) === 0) return;
        const event = await deps.store.db
          .selectFrom('webhook_events')
          .selectAll()
          .where('id', '=', eventId)
          .executeTakeFirstOrThrow();

        const attempt = event.attempts + 1;
        const started = Date.now();
        const result = await deps.fetcher.fetch(event.endpoint_url, {
          method: 'POST',
          httpsOnly: true,
          maxRedirects: 0,
          requireOk: false,
          truncate: true,
          timeoutMs: TIMEOUT_MS,
          maxBytes: EXCERPT_BYTES,
          body: event.payload,
          headers: {
            'content-type': 'application/json',
            ...signatureHeaders({
              keyHashHex: event.signing_key_hash,
              eventId: event.id,
              timestamp: Math.floor(started / 1000),
              body: event.payload,
            }),
          },
        });
        const latency = Date.now() - started;
        const delivered = result.ok && result.status >= 200 && result.status < 300;
        const record: WebhookAttemptsTable = {
          id: `wha_${randomBase62(20)}`,
          event_id: event.id,
          attempt,
          outcome: result.ok ? (delivered ? 'delivered' : 'http_error') : outcomeOf(result.reason),
          status_code: result.ok ? result.status : (result.status ?? null),
          latency_ms: latency,
          error: result.ok ? null : result.message,
          response_excerpt: result.ok ? result.body.subarray(0, EXCERPT_BYTES).toString('utf8') : null,
          created_at: Date.now(),
        };
        const delay = deps.retryDelays[attempt - 1];
        const finalFailure = !delivered && delay === undefined;
        const nextAt = delivered || finalFailure ? null : Date.now() + jittered(delay ?? 0, deps.random);
        await deps.store.transaction(async (tx) => {
          await tx.insertInto('webhook_attempts').values(record).execute();
          await tx
            .updateTable('webhook_events')
            .set({
              attempts: attempt,
              status: delivered ? 'delivered' : finalFailure ? 'failed' : 'pending',
              delivered_at: delivered ? Date.now() : null,
              next_attempt_at: nextAt,
              sending_until: null,
            })
            .where('id', '=', event.id)
            .execute();
        });
        deps.metrics.webhookAttempt(record.outcome, latency);
        const line = {
          event_id: event.id,
          event: event.type,
          enhancement_id: event.enhancement_id,
          attempt,
          outcome: record.outcome,
          status: record.status_code,
          latency_ms: latency,
          final: finalFailure,
        };
        if (delivered) deps.logger.info(line, 'webhook attempt');
        else deps.logger.warn(line, 'webhook attempt');
        if (nextAt !== null) {
          try {
            await enqueueAttempt(deps.queue, event.id, attempt + 1, Math.max(0, nextAt - Date.now()));
          } catch (error) {
            deps.logger.warn(
              { err: error, event_id: event.id },
              'next webhook attempt left to the maintenance sweep',
            );
          }
        }
      },
    },
  };
}

function outcomeOf(reason: string): WebhookAttemptsTable['outcome'] {
  if (reason === 'blocked' || reason === 'invalid_url') return 'blocked';
  if (reason === 'timeout') return 'timeout';
  return 'unreachable';
}

/** ±20 % around the scheduled delay. */
function jittered(seconds: number, random: () => number = Math.random): number {
  return Math.round(seconds * 1000 * (0.8 + 0.4 * random()));
}

/** Pending events whose attempt job was lost (crash between commit and enqueue): enqueue them again. */
export async function requeueDueWebhooks(
  deps: { store: Store; queue: JobQueue },
  now = Date.now(),
): Promise<number> {
  const due = await deps.store.db
    .selectFrom('webhook_events')
    .select(['id', 'attempts'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<', now - 30_000)
    .where((eb) => eb.or([eb('sending_until', 'is', null), eb('sending_until', '<', now)]))
    .limit(500)
    .execute();
  for (const event of due) await enqueueAttempt(deps.queue, event.id, event.attempts + 1);
  return due.length;
}
