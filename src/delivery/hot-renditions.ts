/**
 * A byte-bounded LRU of small rendition bodies, so the hot renditions of a page are answered without touching the
 * disk. Renditions are immutable per key (the key names the media, the parameters and the render version), so an
 * entry can never be stale; entries of deleted media are never served (the media row is checked first) and age out.
 */
export class HotRenditions {
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
  /** Map order is recency order: the first entry is the least recently used. */
  readonly #entries = new Map<string, Buffer>();
  #bytes = 0;

  constructor(options: { maxBytes: number; maxEntryBytes: number }) {
    this.maxBytes = Math.max(0, options.maxBytes);
    this.maxEntryBytes = Math.min(this.maxBytes, Math.max(0, options.maxEntryBytes));
  }

  /** Bytes held now (≤ `maxBytes`). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Whether a body of this many bytes would be kept. */
  fits(bytes: number): boolean {
    return bytes > 0 && bytes <= this.maxEntryBytes;
  }

  get(key: string): Buffer | undefined {
    const data = this.#entries.get(key);
    if (data) {
      this.#entries.delete(key);
      this.#entries.set(key, data);
    }
    return data;
  }

  /** Forgets an entry (an evicted rendition is not served from memory either). */
  delete(key: string): void {
    const data = this.#entries.get(key);
    if (!data) return;
    this.#entries.delete(key);
    this.#bytes -= data.length;
  }

  set(key: string, data: Buffer): void {
    if (!this.fits(data.length)) return;
    const previous = this.#entries.get(key);
    if (previous) {
      this.#entries.delete(key);
      this.#bytes -= previous.length;
    }
    this.#entries.set(key, data);
    this.#bytes += data.length;
    for (const [oldest, body] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= body.length;
    }
  }
}
