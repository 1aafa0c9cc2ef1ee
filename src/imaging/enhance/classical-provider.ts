import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { ProviderError } from './provider-error.ts';
import type { ImageWorkRunner, SegmentationProvider } from './segmentation-provider.ts';
import type { StudioReply, StudioTask } from './studio/studio-worker.ts';

const WORKER_ENTRY = new URL('./studio/studio-worker-bootstrap.mjs', import.meta.url);
/** An idle worker holds OpenCV (≈ 100–270 MB): it goes after this long without work. */
const IDLE_TIMEOUT_MS = 30_000;

export interface ClassicalProviderOptions {
  /** Worker threads at most (each item takes one for ≈ 0.3–1 s of CPU); default: one per core. */
  readonly threads?: number;
  readonly timeoutMs: number;
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
  const pool = new Piscina<StudioTask, StudioReply>({
    filename: WORKER_ENTRY.href,
    name: 'segmentStudioTask',
    minThreads: 0,
    maxThreads: options.threads ?? availableParallelism(),
    idleTimeout: IDLE_TIMEOUT_MS,
    // The task awaits sharp (libuv) inside the worker: its event loop must keep running between tasks.
    atomics: 'disabled',
  });
  return {
    name: 'classical',
    segment: (image, signal) =>
      runImageWork(async () => {
        const timeout = AbortSignal.timeout(options.timeoutMs);
        const task: StudioTask = {
          width: image.width,
          height: image.height,
          // A copy (memcpy) the worker takes over; the caller keeps its image.
          data: new Uint8Array(image.data),
        };
        let reply: StudioReply;
        try {
          reply = await pool.run(task, {
            signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
            transferList: [task.data.buffer as ArrayBuffer],
          });
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
    close: () => pool.destroy(),
  };
}
