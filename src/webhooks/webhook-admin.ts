import { AppError } from '../errors/app-error.ts';
import { toIso } from '../lib/time.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { WebhookEventsTable } from '../store/database.ts';
import type { Store } from '../store/store.ts';
import { enqueueRedelivery } from './webhook-delivery.ts';

/**
 * `GET /admin/v1/webhook-deliveries?enhancement_id=`: events with every attempt recorded, newest first. The operator
 * pages also narrow by account and by status (`failed`: out of retries).
 */
export async function listDeliveries(
  store: Store,
  filter: {
    enhancement_id?: string;
    account_id?: string;
    status?: WebhookEventsTable['status'];
    limit: number;
  },
) {
  let query = store.db
    .selectFrom('webhook_events')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(filter.limit);
  if (filter.enhancement_id) query = query.where('enhancement_id', '=', filter.enhancement_id);
  if (filter.account_id) query = query.where('account_id', '=', filter.account_id);
  if (filter.status) query = query.where('status', '=', filter.status);
  const events = await query.execute();
  const attempts = events.length
    ? await store.db
        .selectFrom('webhook_attempts')
        .selectAll()
        .where(
          'event_id',
          'in',
          events.map((e) => e.id),
        )
        .orderBy('attempt')
        .execute()
    : [];
  return {
    data: events.map((e) => ({
      id: e.id,
      type: e.type,
      enhancement_id: e.enhancement_id,
      account_id: e.account_id,
      endpoint_url: e.endpoint_url,
      status: e.status,
      attempts: e.attempts,
      next_attempt_at: toIso(e.next_attempt_at),
      delivered_at: toIso(e.delivered_at),
      created_at: toIso(e.created_at),
      attempt_log: attempts
        .filter((a) => a.event_id === e.id)
        .map((a) => ({
          attempt: a.attempt,
          outcome: a.outcome,
          status_code: a.status_code,
          latency_ms: a.latency_ms,
          error: a.error,
          response_excerpt: a.response_excerpt,
          at: toIso(a.created_at),
        })),
    })),
  };
}

/** Sends the event again now (same event id and body); the send lease keeps it from overlapping a retry. */
export async function redeliver(deps: { store: Store; queue: JobQueue }, eventId: string) {
  const event = await deps.store.db
    .selectFrom('webhook_events')
    .selectAll()
    .where('id', '=', eventId)
    .executeTakeFirst();
  if (!event) throw new AppError('not_found', { message: 'Webhook event not found.' });
  await deps.store.db
    .updateTable('webhook_events')
    .set({ status: 'pending', next_attempt_at: Date.now() })
    .where('id', '=', eventId)
    .execute();
  await enqueueRedelivery(deps.queue, eventId, event.attempts + 1);
  return { id: eventId, status: 'pending' as const, redelivery: true as const };
}
