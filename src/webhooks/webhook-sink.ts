import type { EnhancementEventSink } from '../enhancements/enhancement-events.ts';
import { randomBase62 } from '../lib/ids.ts';
import type { Log } from '../lib/log.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import { DELIVER_JOB } from './webhook-delivery.ts';
import { eventBody } from './webhook-payload.ts';

/**
 * Webhook events are rows written in the transaction that changed the enhancement, so an event exists exactly
 * when its change does. Dispatch (enqueueing the delivery) happens after commit; if it is lost in a crash, the
 * maintenance sweep finds the pending event and enqueues it again.
 */
export function createWebhookSink(deps: {
  store: Store;
  queue: JobQueue;
  srcBase: string;
  logger: Log;
}): EnhancementEventSink {
  return {
    async record(tx, event) {
      const url = event.enhancement.webhook_url;
      if (!url) return [];
      const id = `evt_${randomBase62(24)}`;
      const now = Date.now();
      await tx
        .insertInto('webhook_events')
        .values({
          id,
          account_id: event.enhancement.account_id,
          enhancement_id: event.enhancement.id,
          type: event.type,
          endpoint_url: url,
          payload: await eventBody(tx, deps.srcBase, id, event, now),
          signing_key_hash: event.enhancement.signing_key_hash,
          status: 'pending',
          attempts: 0,
          next_attempt_at: now,
          sending_until: null,
          delivered_at: null,
          created_at: now,
        })
        .execute();
      return [id];
    },
    async dispatch(eventIds) {
      for (const eventId of eventIds) {
        try {
          await deps.queue.enqueue(DELIVER_JOB, { eventId, attempt: 1 }, { dedupeKey: `${eventId}:1` });
        } catch (error) {
          deps.logger.warn(
            { err: error, event_id: eventId },
            'webhook dispatch deferred to the maintenance sweep',
          );
        }
      }
    },
  };
}
