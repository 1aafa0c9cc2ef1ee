/**
 * The rows behind hot `src` URLs, kept for `ttlMs`: reading the row costs more than the rest of a cache hit
 * (measured in docs/benchmarks.md), and a popular image is requested many times a second. A row changed or deleted
 * in this process is forgotten at once (MediaChanges); another process may answer from its copy for up to `ttlMs`.
 * Unknown ids are not remembered, so a fresh upload is served at once.
 */
export class MediaLookups<T> {
  readonly #entries = new Map<string, { row: T; at: number }>();
  /** Bumped by every change: a read that started before a change must not be remembered after it. */
  #epoch = 0;

  constructor(
    private readonly read: (id: string) => Promise<T | undefined>,
    private readonly options: { ttlMs: number; maxEntries: number },
  ) {}

  async get(id: string): Promise<T | undefined> {
    const entry = this.#entries.get(id);
    const now = Date.now();
    if (entry && now - entry.at < this.options.ttlMs) return entry.row;
    const epoch = this.#epoch;
    const row = await this.read(id);
    this.#entries.delete(id);
    if (row !== undefined && epoch === this.#epoch && this.options.ttlMs > 0) {
      this.#entries.set(id, { row, at: now });
      if (this.#entries.size > this.options.maxEntries) {
        const oldest = this.#entries.keys().next();
        if (!oldest.done) this.#entries.delete(oldest.value);
      }
    }
    return row;
  }

  forget(id: string): void {
    this.#epoch += 1;
    this.#entries.delete(id);
  }

  get size(): number {
    return this.#entries.size;
  }
}
