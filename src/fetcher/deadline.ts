/** Raised through the abort signal when the overall time limit of one fetch has passed. */
class DeadlineExceededError extends Error {
  constructor(ms: number) {
    super(`fetch did not finish within ${ms} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * One deadline for a whole fetch (DNS, connect, every redirect hop, the body), so a slow server
 * cannot stretch the total by being slow a little at every step.
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly ms: number;

  constructor(ms: number) {
    this.ms = ms;
    this.#timer = setTimeout(() => this.#controller.abort(new DeadlineExceededError(ms)), ms);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get expired(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Settles with `work`, or rejects when the deadline passes first (for work that cannot be aborted, like DNS). */
  race<T>(work: Promise<T>): Promise<T> {
    const signal = this.#controller.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
