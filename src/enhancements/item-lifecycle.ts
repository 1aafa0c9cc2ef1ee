import { consumeCredits, releaseCredits } from '../credits/ledger.ts';
import type { Log } from '../lib/log.ts';
import type { Metrics } from '../lib/metrics.ts';
import { recordGeneratedMedia } from '../media/generated-media.ts';
import type { MediaRow } from '../media/media-repo.ts';
import type { EnhancementStatus } from '../store/database.ts';
import type { Store, Tx } from '../store/store.ts';
import type { EnhancementEventSink } from './enhancement-events.ts';
import { type ItemWarning, storedItemWarnings } from './enhancement-view.ts';
import type { ItemFailure } from './item-errors.ts';

export interface LifecycleDeps {
  store: Store;
  events: EnhancementEventSink;
  logger: Log;
  metrics: Metrics;
}

const TERMINAL_ITEM = ['completed', 'failed'];

/** Marks the item (and its enhancement, if still queued) as processing; false when it is already terminal. */
export async function beginItem(deps: LifecycleDeps, itemId: string): Promise<boolean> {
  return deps.store.transaction(async (tx) => {
    const item = await tx
      .selectFrom('enhancement_items')
      .selectAll()
      .where('id', '=', itemId)
      .executeTakeFirst();
    if (!item || TERMINAL_ITEM.includes(item.status)) return false;
    const now = Date.now();
    await tx
      .updateTable('enhancement_items')
      .set((eb) => ({ status: 'processing', attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('id', '=', itemId)
      .execute();
    await tx
      .updateTable('enhancements')
      .set({ status: 'processing', updated_at: now })
      .where('id', '=', item.enhancement_id)
      .where('status', '=', 'queued')
      .execute();
    return true;
  });
}

/**
 * The item's one terminal transition, with its credits and counters, in one transaction. The status guard makes
 * it happen once however often a retried job gets here: each item is charged or released exactly once.
 */
export async function finishItem(
  deps: LifecycleDeps,
  itemId: string,
  outcome:
    | {
        ok: true;
        result: MediaRow;
        thumbnail: MediaRow;
        provider: string;
        /** What the pipeline said about this image; stored with the completion, in this transaction. */
        warnings: readonly ItemWarning[];
      }
    | { ok: false; failure: ItemFailure },
): Promise<boolean> {
  const finished = await deps.store.transaction(async (tx) => {
    const item = await deps.store
      .forUpdate(tx.selectFrom('enhancement_items').selectAll().where('id', '=', itemId))
      .executeTakeFirst();
    if (!item || TERMINAL_ITEM.includes(item.status)) return null;
    const enhancement = await deps.store
      .forUpdate(tx.selectFrom('enhancements').selectAll().where('id', '=', item.enhancement_id))
      .executeTakeFirstOrThrow();
    const now = Date.now();
    const credits = Number(item.credits_reserved);

    if (outcome.ok) {
      await recordGeneratedMedia(tx, outcome.result);
      await recordGeneratedMedia(tx, outcome.thumbnail);
      if (credits > 0)
        await consumeCredits(tx, {
          accountId: enhancement.account_id,
          amount: credits,
          enhancementId: enhancement.id,
        });
    } else if (credits > 0) {
      await releaseCredits(tx, {
        accountId: enhancement.account_id,
        amount: credits,
        enhancementId: enhancement.id,
      });
    }
    const itemPatch = outcome.ok
      ? {
          status: 'completed' as const,
          result_media_id: outcome.result.id,
          thumbnail_media_id: outcome.thumbnail.id,
          provider: outcome.provider,
          credits_used: credits,
          warnings: storedItemWarnings(outcome.warnings),
          updated_at: now,
        }
      : {
          status: 'failed' as const,
          error_code: outcome.failure.code,
          error_message: outcome.failure.message,
          updated_at: now,
        };
    await tx.updateTable('enhancement_items').set(itemPatch).where('id', '=', itemId).execute();

    const completed = enhancement.completed_items + (outcome.ok ? 1 : 0);
    const failed = enhancement.failed_items + (outcome.ok ? 0 : 1);
    const done = completed + failed === enhancement.total_items;
    const status: EnhancementStatus = done
      ? failed === 0
        ? 'completed'
        : completed === 0
          ? 'failed'
          : 'partially_completed'
      : 'processing';
    const warned = outcome.ok && outcome.warnings.length > 0 ? 1 : 0;
    const enhancementPatch = {
      completed_items: completed,
      failed_items: failed,
      items_with_warnings: enhancement.items_with_warnings + warned,
      credits_used: enhancement.credits_used + (outcome.ok ? credits : 0),
      status,
      updated_at: now,
      completed_at: done ? now : null,
    };
    await tx.updateTable('enhancements').set(enhancementPatch).where('id', '=', enhancement.id).execute();

    const updatedEnhancement = { ...enhancement, ...enhancementPatch };
    const ids = await deps.events.record(tx, {
      type: outcome.ok ? 'enhancement.item.completed' : 'enhancement.item.failed',
      enhancement: updatedEnhancement,
      item: { ...item, ...itemPatch },
    });
    if (done) {
      ids.push(
        ...(await deps.events.record(tx, {
          type: `enhancement.${status}` as 'enhancement.completed',
          enhancement: updatedEnhancement,
        })),
      );
    }
    return { ids, enhancementId: enhancement.id, requestId: enhancement.request_id, credits };
  });
  if (finished === null) return false;
  // Reported after the commit: a rolled-back transition is neither counted nor logged.
  const { enhancementId, requestId, credits } = finished;
  if (outcome.ok) {
    deps.metrics.enhancementItemFinished('completed', null);
    deps.metrics.creditsMoved('consumed', credits);
  } else {
    deps.metrics.enhancementItemFinished('failed', outcome.failure.code);
    deps.metrics.creditsMoved('released', credits);
    deps.logger.warn(
      {
        enhancement_id: enhancementId,
        item_id: itemId,
        request_id: requestId,
        code: outcome.failure.code,
        credits_released: credits,
      },
      'enhancement item failed',
    );
  }
  await deps.events.dispatch(finished.ids);
  return true;
}

export async function loadItemContext(tx: Tx | Store['db'], itemId: string) {
  return tx
    .selectFrom('enhancement_items as i')
    .innerJoin('enhancements as e', 'e.id', 'i.enhancement_id')
    .select([
      'i.id',
      'i.status',
      'i.source_url',
      'i.external_id',
      'i.enhancement_id',
      'e.account_id',
      'e.environment',
      'e.preset',
      'e.preservation_level',
      'e.sandbox',
    ])
    .where('i.id', '=', itemId)
    .executeTakeFirst();
}
