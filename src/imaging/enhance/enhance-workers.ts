import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { ComposedImage, ComposeRequest } from './compose-catalog-image.ts';
import type { ComposeReply, ComposeTask, SelectTask } from './enhance-worker.ts';
import type { ForegroundSelection } from './foreground-selection.ts';
import type { AlphaMask, RgbImage } from './pixel-buffers.ts';
import type { PresetSpec } from './presets.ts';
import type { StudioReply, StudioTask } from './studio/studio-worker.ts';

const WORKER_ENTRY = new URL('./enhance-worker-bootstrap.mjs', import.meta.url);
/** An idle worker may hold OpenCV (≈ 100–270 MB): it goes after this long without work. */
const IDLE_TIMEOUT_MS = 30_000;

export interface EnhanceWorkersOptions {
  /** Worker threads at most; default one per core. */
  readonly threads?: number;
}

type TaskName = 'segmentStudioTask' | 'selectForegroundTask' | 'composeCatalogTask';

/**
 * The worker threads (piscina) that run an item's pixel work after decoding — the classical segmenter, object
 * selection and composing — so that the event loop only copies buffers (≈ 1 ms per 3 MB) and waits. Each task
 * gets its own copy of the pixels it reads, moved (not cloned) to the worker: the caller keeps its buffers.
 * An aborted task rejects at once and piscina ends its thread.
 */
export class EnhanceWorkers {
  readonly #pool: Piscina<unknown, unknown>;

  constructor(options: EnhanceWorkersOptions = {}) {
    this.#pool = new Piscina({
      filename: WORKER_ENTRY.href,
      minThreads: 0,
      maxThreads: options.threads ?? availableParallelism(),
      idleTimeout: IDLE_TIMEOUT_MS,
      // Tasks await sharp and OpenCV's start-up inside the worker: its event loop must keep running between
      // tasks.
      atomics: 'disabled',
    });
  }

  /**
   * The classical studio segmenter (studio/segment-studio-photo.ts). A refusal comes back as data; the
   * rejection on abort is piscina's, so that the caller can tell its timeout from the item's signal.
   */
  segmentStudio(image: RgbImage, signal: AbortSignal): Promise<StudioReply> {
    const task: StudioTask = { width: image.width, height: image.height, data: new Uint8Array(image.data) };
    return this.#run<StudioReply>('segmentStudioTask', task, [task.data], signal);
  }

  /** `selectForeground` (foreground-selection.ts) in a worker; rejects with the signal's reason when aborted. */
  async selectForeground(
    mask: AlphaMask,
    keep: PresetSpec['keep'],
    signal?: AbortSignal,
  ): Promise<ForegroundSelection | null> {
    const task: SelectTask = {
      mask: { width: mask.width, height: mask.height, data: new Uint8Array(mask.data) },
      keep,
    };
    return this.#settle(this.#run('selectForegroundTask', task, [task.mask.data], signal), signal);
  }

  /** `composeCatalogImage` (compose-catalog-image.ts) in a worker; rejects with the signal's reason when aborted. */
  async compose(request: ComposeRequest, signal?: AbortSignal): Promise<ComposedImage> {
    const { image, mask, selection } = request;
    const task: ComposeTask = {
      ...request,
      image: { width: image.width, height: image.height, data: new Uint8Array(image.data) },
      mask: { width: mask.width, height: mask.height, data: new Uint8Array(mask.data) },
      selection: { ...selection, alpha: new Uint8Array(selection.alpha) },
    };
    const moved = [task.image.data, task.mask.data, task.selection.alpha];
    const reply = await this.#settle(
      this.#run<ComposeReply>('composeCatalogTask', task, moved, signal),
      signal,
    );
    // A structured clone hands back plain Uint8Arrays: the same bytes, seen as Buffers again.
    return { ...reply, image: asBuffer(reply.image), thumbnail: asBuffer(reply.thumbnail) };
  }

  /** Ends the threads; pending tasks fail. */
  close(): Promise<void> {
    return this.#pool.destroy();
  }

  #run<T>(name: TaskName, task: unknown, moved: readonly Uint8Array[], signal?: AbortSignal): Promise<T> {
    return this.#pool.run(task, {
      name,
      transferList: moved.map((bytes) => bytes.buffer as ArrayBuffer),
      ...(signal ? { signal } : {}),
    }) as Promise<T>;
  }

  async #settle<T>(reply: Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await reply;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  }
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
