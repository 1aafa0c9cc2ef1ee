import { Worker } from 'node:worker_threads';
import { type ModelProfile, modelProfile } from './model-profiles.ts';
import type { OnnxJob, OnnxReply, OnnxWorkerData } from './onnx-messages.ts';
import { ProviderError } from './provider-error.ts';

// Registers tsx in the worker thread, then imports onnx-worker.ts.
const WORKER_ENTRY = new URL('./onnx-worker-bootstrap.mjs', import.meta.url);

export interface OnnxPoolOptions {
  readonly modelPath: string;
  /** Workers (each with its own loaded session) and so inferences at once. */
  readonly concurrency: number;
  /** onnxruntime intra-op threads per session. */
  readonly threads: number;
  /** Input and output shapes the workers check; default ISNet. */
  readonly profile?: ModelProfile;
}

/**
 * Whether the model can serve, from the last session load (a warm-up or an image): `unknown` until one was
 * tried. An image that fails after the session loaded says nothing about the model.
 */
export type OnnxHealth =
  | { readonly state: 'unknown' | 'ok' }
  | { readonly state: 'failing'; readonly message: string; readonly detail: string };

/** Counters for tests and the benchmark. */
export interface OnnxPoolStats {
  workersStarted: number;
  sessionLoads: number;
  running: number;
  peakRunning: number;
  timeouts: number;
}

interface PendingJob {
  readonly pixels: Float32Array | null;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  settled: boolean;
  resolve(mask: Float32Array): void;
  reject(error: unknown): void;
}

interface PoolWorker {
  readonly worker: Worker;
  job: (PendingJob & { readonly id: number; timer: NodeJS.Timeout }) | null;
}

/**
 * Up to `concurrency` long-lived workers, each loading the model once, lazily, on its first job. Jobs
 * wait in FIFO order for a free worker. A job past its timeout fails and its worker is terminated (a
 * stuck inference cannot be interrupted otherwise); the next job starts a fresh worker. Idle workers are
 * unref'd so they never keep the process alive.
 */
export class OnnxWorkerPool {
  readonly stats: OnnxPoolStats = {
    workersStarted: 0,
    sessionLoads: 0,
    running: 0,
    peakRunning: 0,
    timeouts: 0,
  };
  #health: OnnxHealth = { state: 'unknown' };
  readonly #options: OnnxPoolOptions;
  readonly #profile: ModelProfile;
  readonly #workers = new Set<PoolWorker>();
  readonly #idle: PoolWorker[] = [];
  readonly #waiting: PendingJob[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: OnnxPoolOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError('onnx concurrency must be an integer ≥ 1');
    }
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new RangeError('onnx threads must be an integer ≥ 1');
    }
    this.#options = options;
    this.#profile = options.profile ?? modelProfile();
  }

  /** The model's raw output for one preprocessed image. Rejects with `ProviderError` or the abort reason. */
  run(pixels: Float32Array, timeoutMs: number, signal?: AbortSignal): Promise<Float32Array> {
    return this.#submit(pixels, timeoutMs, signal);
  }

  /**
   * Loads the session in a worker (which keeps it, as after a first image) without running an inference:
   * resolves when the model can serve, rejects with the `ProviderError` an image would get otherwise.
   */
  async load(timeoutMs: number): Promise<void> {
    await this.#submit(null, timeoutMs, undefined);
  }

  #submit(
    pixels: Float32Array | null,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Float32Array> {
    if (this.#closed) return Promise.reject(new ProviderError('the onnx provider is shut down'));
    signal?.throwIfAborted();
    return new Promise<Float32Array>((resolve, reject) => {
      const job: PendingJob = {
        pixels,
        timeoutMs,
        signal,
        settled: false,
        resolve: (mask) => {
          if (job.settled) return;
          job.settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(mask);
        },
        reject: (error) => {
          if (job.settled) return;
          job.settled = true;
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      // A waiting job leaves the queue; a running one is abandoned but keeps its worker busy until the
      // worker answers or times out, so the concurrency bound stays true.
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(job);
        if (at >= 0) this.#waiting.splice(at, 1);
        job.reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(job);
      this.#dispatch();
    });
  }

  get health(): OnnxHealth {
    return this.#health;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#waiting.splice(0))
      job.reject(new ProviderError('the onnx provider is shut down'));
    const workers = [...this.#workers];
    this.#workers.clear();
    this.#idle.length = 0;
    for (const w of workers) {
      const job = w.job;
      this.#finish(w);
      job?.reject(new ProviderError('the onnx provider is shut down'));
    }
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  #dispatch(): void {
    while (this.#waiting.length > 0 && !this.#closed) {
      const pooled =
        this.#idle.pop() ?? (this.#workers.size < this.#options.concurrency ? this.#spawn() : undefined);
      if (!pooled) return;
      this.#start(pooled, this.#waiting.shift()!);
    }
  }

  #start(pooled: PoolWorker, job: PendingJob): void {
    const id = this.#nextId++;
    const timer = setTimeout(() => {
      this.stats.timeouts++;
      this.#retire(pooled);
      job.reject(
        new ProviderError(`the segmentation model did not answer within ${formatSeconds(job.timeoutMs)}`),
      );
    }, job.timeoutMs);
    pooled.job = Object.assign(job, { id, timer });
    this.stats.running++;
    this.stats.peakRunning = Math.max(this.stats.peakRunning, this.stats.running);
    pooled.worker.ref();
    const message: OnnxJob = { id, pixels: job.pixels };
    pooled.worker.postMessage(message, job.pixels ? [job.pixels.buffer as ArrayBuffer] : []);
  }

  #spawn(): PoolWorker {
    const data: OnnxWorkerData = {
      modelPath: this.#options.modelPath,
      threads: this.#options.threads,
      profile: this.#profile,
    };
    const worker = new Worker(WORKER_ENTRY, { workerData: data });
    const pooled: PoolWorker = { worker, job: null };
    this.#workers.add(pooled);
    this.stats.workersStarted++;
    worker.unref();
    worker.on('message', (reply: OnnxReply) => {
      const job = pooled.job;
      if (!job || job.id !== reply.id) return;
      this.#finish(pooled);
      if (reply.ok) {
        if (reply.sessionLoaded) this.stats.sessionLoads++;
        this.#health = { state: 'ok' };
        job.resolve(reply.mask);
      } else {
        if (reply.stage === 'load') {
          this.#health = { state: 'failing', message: reply.message, detail: reply.detail };
        }
        job.reject(new ProviderError(reply.message, { cause: new Error(reply.detail) }));
      }
      this.#idle.push(pooled);
      this.#dispatch();
    });
    const crashed = (cause: unknown): void => {
      const job = pooled.job;
      this.#retire(pooled);
      job?.reject(new ProviderError('the segmentation worker stopped unexpectedly', { cause }));
    };
    worker.on('error', crashed);
    worker.on('exit', (code) => crashed(new Error(`worker exited with code ${code}`)));
    return pooled;
  }

  /** The job's slot is free again (the job itself is settled by the caller). */
  #finish(pooled: PoolWorker): void {
    if (!pooled.job) return;
    clearTimeout(pooled.job.timer);
    pooled.job = null;
    this.stats.running--;
    pooled.worker.unref();
  }

  /** Drops a worker that timed out or died; the next job starts a fresh one. */
  #retire(pooled: PoolWorker): void {
    if (!this.#workers.delete(pooled)) return;
    this.#finish(pooled);
    const idleAt = this.#idle.indexOf(pooled);
    if (idleAt >= 0) this.#idle.splice(idleAt, 1);
    pooled.worker.removeAllListeners('message');
    void pooled.worker.terminate();
    this.#dispatch();
  }
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
