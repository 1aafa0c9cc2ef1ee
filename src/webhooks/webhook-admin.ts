import { AppError } from '../errors/app-error.ts';
import { toIso } from '../lib/time.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { WebhookAttemptsTable, WebhookEventsTable } from '../store/database.ts';
import type { Store } from '../store/store.ts';
import { enqueueRedelivery } from './webhook-delivery.ts';

interface AttemptEntry {
  attempt: number;
  outcome: WebhookAttemptsTable['outcome'];
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_excerpt: string | null;
  at: string;
}

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
  let events = store.db
    .selectFrom('webhook_events')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(filter.limit);
  if (filter.enhancement_id) events = events.where('enhancement_id', '=', filter.enhancement_id);
  if (filter.account_id) events = events.where('account_id', '=', filter.account_id);
  if (filter.status) events = events.where('status', '=', filter.status);
  // One statement, so one snapshot: read apart, an attempt committed between the two reads would show beside
  // its event's status from before it ("pending" next to a delivered attempt).
  const rows = await store.db
    .selectFrom(events.as('e'))
    .leftJoin('webhook_attempts as a', 'a.event_id', 'e.id')
    .selectAll('e')
    .select([
      'a.attempt as a_attempt',
      'a.outcome as a_outcome',
      'a.status_code as a_status_code',
      'a.latency_ms as a_latency_ms',
      'a.error as a_error',
      'a.response_excerpt as a_response_excerpt',
      'a.created_at as a_created_at',
    ])
    .orderBy('e.created_at', 'desc')
    .orderBy('e.id')
    .orderBy('a.attempt')
    .execute();
  const byEvent = new Map<string, { event: (typeof rows)[number]; attempts: AttemptEntry[] }>();
  for (const row of rows) {
    const entry = byEvent.get(row.id) ?? { event: row, attempts: [] };
    byEvent.set(row.id, entry);
    // Columns of the left join: all null for an event not tried yet, none null otherwise.
    if (
      row.a_attempt === null ||
      row.a_outcome === null ||
      row.a_latency_ms === null ||
      row.a_created_at === null
    ) {
      continue;
    }
    entry.attempts.push({
      attempt: row.a_attempt,
      outcome: row.a_outcome,
      status_code: row.a_status_code,
      latency_ms: row.a_latency_ms,
      error: row.a_error,
      response_excerpt: row.a_response_excerpt,
      at: toIso(row.a_created_at),
    });
  }
  return {
    data: [...byEvent.values()].map(({ event: e, attempts }) => ({
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
      attempt_log: attempts,
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
