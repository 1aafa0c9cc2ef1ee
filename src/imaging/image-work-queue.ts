import { availableParallelism } from 'node:os';

/**
 * A FIFO concurrency limiter for image work. Each sharp pipeline or decode is CPU-bound and may hold
 * hundreds of MB; running one per core keeps latency predictable and memory bounded under load.
 */
export class ImageWorkQueue {
  readonly concurrency: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  readonly #waitListeners = new Set<(ms: number) => void>();

  constructor(concurrency: number = availableParallelism()) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be ≥ 1');
    this.concurrency = concurrency;
  }

  /** Jobs running now. */
  get active(): number {
    return this.#running;
  }

  /** Jobs waiting for a slot (the metric to watch). */
  get depth(): number {
    return this.#waiting.length;
  }

  /** Called with how long each job waited for its slot (0 when one was free); returns the unsubscribe. */
  onWait(listener: (ms: number) => void): () => void {
    this.#waitListeners.add(listener);
    return () => this.#waitListeners.delete(listener);
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    const queuedAt = performance.now();
    if (this.#running >= this.concurrency) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    const waited = performance.now() - queuedAt;
    for (const listener of this.#waitListeners) listener(waited);
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next job, so a newcomer cannot overtake the queue.
      if (next) next();
      else this.#running--;
    }
  }
}

/** The process-wide queue that probe and render use unless given another. */
export const sharedImageWorkQueue = new ImageWorkQueue();
