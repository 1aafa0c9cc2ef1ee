import { Type } from '@sinclair/typebox';
import type { BlobStore } from '../blobs/blobs.ts';
import type { ImageMimeType, SafeFetcher } from '../fetcher/index.ts';
import type { Log } from '../lib/log.ts';
import type { Metrics } from '../lib/metrics.ts';
import { writeGeneratedBlob } from '../media/generated-media.ts';
import { type JobHandlers, type JobQueue, jobSpec } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import { START_JOB } from './create-enhancement.ts';
import type { EnhancementEventSink } from './enhancement-events.ts';
import type { Enhancer } from './enhancer.ts';
import { ItemFailure, itemFailureFromFetch, simulatedFailure } from './item-errors.ts';
import { beginItem, finishItem, loadItemContext } from './item-lifecycle.ts';
import type { PresetId } from './presets.ts';

export interface EnhancementJobDeps {
  store: Store;
  blobs: BlobStore;
  fetcher: SafeFetcher;
  queue: JobQueue;
  /** The configured provider chain, for live keys. */
  enhancer: Enhancer;
  /** The built-in pipeline, for sandbox keys (docs/api.md §3.4). */
  sandboxEnhancer: Enhancer;
  events: EnhancementEventSink;
  logger: Log;
  metrics: Metrics;
}

const SOURCE_LIMITS = {
  timeoutMs: 10_000,
  maxRedirects: 3,
  maxBytes: 10 * 1024 * 1024,
  accept: ['image/jpeg', 'image/png', 'image/webp'] as ImageMimeType[],
};

export const ITEM_JOB = jobSpec({
  name: 'enhancement.item',
  payload: Type.Object({ itemId: Type.String({ maxLength: 64 }) }),
  maxAttempts: 4,
});
/** The pipeline's thumbnails are square JPEGs of this side. */
const THUMBNAIL_SIDE = 400;

/** Tells a retryable infrastructure failure (blob store down) apart from a provider failure on exhaustion. */
class StorageFailure extends Error {
  override readonly name = 'StorageFailure';
}

export function enhancementHandlers(
  deps: EnhancementJobDeps,
): JobHandlers<typeof START_JOB | typeof ITEM_JOB> {
  return {
    [START_JOB.name]: {
      // Fans the batch out into one job per item, so items run, retry and fail independently.
      async handle({ enhancementId }) {
        const items = await deps.store.db
          .selectFrom('enhancement_items')
          .select('id')
          .where('enhancement_id', '=', enhancementId)
          .where('status', 'in', ['queued', 'processing'])
          .orderBy('position')
          .execute();
        for (const item of items)
          await deps.queue.enqueue(ITEM_JOB, { itemId: item.id }, { dedupeKey: item.id });
      },
    },
    [ITEM_JOB.name]: {
      async handle({ itemId }, ctx) {
        if (!(await beginItem(deps, itemId))) return;
        const context = await loadItemContext(deps.store.db, itemId);
        if (!context) return;
        // An attempt that lost its job (lease gone, queue stopping) must not decide the item's outcome: a stale
        // download timeout would fail an item that the worker now owning the job is about to complete.
        const finish = (outcome: Parameters<typeof finishItem>[2]) => {
          ctx.signal.throwIfAborted();
          return finishItem(deps, itemId, outcome);
        };
        try {
          const simulated = context.sandbox ? simulatedFailure(context.source_url) : null;
          if (simulated) throw simulated;
          const fetched = await deps.fetcher.fetch(context.source_url, SOURCE_LIMITS);
          if (!fetched.ok) throw itemFailureFromFetch(fetched);
          const enhancer = context.sandbox ? deps.sandboxEnhancer : deps.enhancer;
          const result = await enhancer.enhance({
            input: fetched.body,
            preset: context.preset as PresetId,
            preservationLevel: context.preservation_level,
            signal: ctx.signal,
          });
          const owner = { accountId: context.account_id, environment: context.environment };
          const label = context.external_id ?? context.id;
          const metadata = { enhancement_id: context.enhancement_id, item_id: context.id };
          let rows: Awaited<ReturnType<typeof writeGeneratedBlob>>[];
          try {
            rows = await Promise.all([
              writeGeneratedBlob(
                deps,
                owner,
                { data: result.image, format: 'jpeg', width: result.width, height: result.height },
                {
                  name: `${label}.jpg`,
                  tags: ['enhancement'],
                  metadata,
                },
              ),
              writeGeneratedBlob(
                deps,
                owner,
                { data: result.thumbnail, format: 'jpeg', width: THUMBNAIL_SIDE, height: THUMBNAIL_SIDE },
                {
                  name: `${label}-thumbnail.jpg`,
                  tags: ['enhancement', 'thumbnail'],
                  metadata,
                },
              ),
            ]);
          } catch (error) {
            throw new StorageFailure(error instanceof Error ? error.message : String(error));
          }
          const [resultRow, thumbnailRow] = rows as [(typeof rows)[0], (typeof rows)[0]];
          await finish({
            ok: true,
            result: resultRow,
            thumbnail: thumbnailRow,
            provider: result.provider,
            warnings: result.warnings,
          });
        } catch (error) {
          if (error instanceof ItemFailure) {
            await finish({ ok: false, failure: error });
            return;
          }
          const undecodable = sourceImageFailure(error);
          if (undecodable) {
            await finish({ ok: false, failure: undecodable });
            return;
          }
          if (isProviderError(error)) {
            await finish({
              ok: false,
              failure: new ItemFailure('provider_error', error.message),
            });
            return;
          }
          deps.logger.warn(
            { err: error, item_id: itemId, attempt: ctx.attempt },
            'enhancement item attempt failed',
          );
          throw error;
        }
      },
      async onExhausted({ itemId }, error) {
        const storage =
          error instanceof StorageFailure || (error instanceof Error && error.name === 'StorageFailure');
        await finishItem(deps, itemId, {
          ok: false,
          failure: new ItemFailure(
            storage ? 'storage_error' : 'provider_error',
            storage ? 'The result could not be stored.' : 'Processing failed repeatedly.',
          ),
        });
      },
    },
  };
}

/**
 * The downloaded source passed the type checks but cannot be decoded (truncated, corrupt, too many pixels): a
 * problem of the source, the same on every attempt, so the item fails at once instead of being retried.
 */
function sourceImageFailure(error: unknown): ItemFailure | null {
  if (!(error instanceof Error) || error.name !== 'ImageFailureError') return null;
  const reason = (error as Error & { reason?: unknown }).reason;
  return new ItemFailure(
    reason === 'too_many_pixels' ? 'file_too_large' : 'unsupported_file_type',
    error.message,
  );
}

function isProviderError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ProviderError';
}
