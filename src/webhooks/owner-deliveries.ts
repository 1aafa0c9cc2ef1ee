import type { Account } from '../accounts/accounts-store.ts';
import { AppError } from '../errors/app-error.ts';
import { HOUR_MS } from '../lib/time.ts';
import type { RateLimiter } from '../limiter/limiter.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import { listDeliveries, redeliver } from './webhook-admin.ts';

/**
 * The webhook deliveries of an owner's enhancement, with every attempt (docs/api.md §3.5: "visible to the owner"),
 * and redelivery, for the dashboard. Only the signed-in account's events: another account's are "not found".
 */
export interface OwnerDeliveryDeps {
  store: Store;
  queue: JobQueue;
  limiter: RateLimiter;
}

/** Redeliveries an account may ask for per hour: each is a request to its endpoint, made by this server. */
const REDELIVERIES_PER_HOUR = 60;
/** Events of one batch: a created event, one per item (≤ 20) and a completed event, with room to spare. */
const MAX_EVENTS = 100;

export const ownerDeliveries = {
  async list(deps: OwnerDeliveryDeps, account: Account, enhancementId: string) {
    const owned = await deps.store.db
      .selectFrom('enhancements')
      .select('id')
      .where('id', '=', enhancementId.toLowerCase())
      .where('account_id', '=', account.id)
      .executeTakeFirst();
    if (!owned) throw new AppError('not_found', { message: 'Enhancement not found.' });
    return listDeliveries(deps.store, { enhancement_id: owned.id, limit: MAX_EVENTS });
  },

  async redeliver(deps: OwnerDeliveryDeps, account: Account, eventId: string) {
    const event = await deps.store.db
      .selectFrom('webhook_events')
      .select('id')
      .where('id', '=', eventId)
      .where('account_id', '=', account.id)
      .executeTakeFirst();
    if (!event) throw new AppError('not_found', { message: 'Webhook event not found.' });
    const decision = await deps.limiter.hit(`dash:redeliver:${account.id}`, {
      limit: REDELIVERIES_PER_HOUR,
      periodMs: HOUR_MS,
    });
    if (!decision.allowed) {
      throw new AppError('rate_limit_exceeded', {
        message: `At most ${REDELIVERIES_PER_HOUR} redeliveries an hour. Try again in ${Math.ceil(decision.retryAfter / 60)} minutes.`,
        retryAfter: decision.retryAfter,
      });
    }
    return redeliver(deps, event.id);
  },
};
