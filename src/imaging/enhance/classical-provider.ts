import { EnhanceWorkers } from './enhance-workers.ts';
import { ProviderError } from './provider-error.ts';
import type { ImageWorkRunner, SegmentationProvider } from './segmentation-provider.ts';
import type { StudioReply } from './studio/studio-worker.ts';

export interface ClassicalProviderOptions {
  /** Worker threads at most (each item takes one for ≈ 0.3–1 s of CPU); default: one per core. */
  readonly threads?: number;
  readonly timeoutMs: number;
  /**
   * The enhancer's worker threads, shared with selection and composing (`threads` is then theirs). Without
   * them the provider starts its own and ends them on `close`.
   */
  readonly workers?: EnhanceWorkers;
}

/**
 * Segmentation without a model, for product photos on a studio-like backdrop (studio/segment-studio-photo.ts),
 * in worker threads (piscina) so that the event loop never waits on it. A refusal comes back as a
 * `ProviderError` with the segmenter's reason; a job past `timeoutMs` is abandoned and its thread ended.
 */
export function classicalProvider(
  options: ClassicalProviderOptions,
  runImageWork: ImageWorkRunner,
): SegmentationProvider {
  const workers =
    options.workers ?? new EnhanceWorkers(options.threads === undefined ? {} : { threads: options.threads });
  return {
    name: 'classical',
    segment: (image, signal) =>
      runImageWork(async () => {
        const timeout = AbortSignal.timeout(options.timeoutMs);
        let reply: StudioReply;
        try {
          reply = await workers.segmentStudio(image, signal ? AbortSignal.any([signal, timeout]) : timeout);
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          if (timeout.aborted) {
            throw new ProviderError(
              `classical segmentation did not finish within ${Math.round(options.timeoutMs / 1000)} s`,
              { cause: error },
            );
          }
          throw new ProviderError('classical segmentation failed', { cause: error });
        }
        if (!reply.ok) throw new ProviderError(reply.message);
        return {
          mask: { width: image.width, height: image.height, data: reply.mask },
          warnings: reply.warnings,
        };
      }),
    // Shared workers belong to the enhancer, which ends them.
    close: () => (options.workers ? Promise.resolve() : workers.close()),
  };
}
