import type { Readable } from 'node:stream';

export type BlobSource = Buffer | Readable | { file: string };

/**
 * The blob port: originals, cached renditions and enhancement results. Writes are atomic (a reader sees the
 * whole blob or none), deletes are idempotent, keys are `[A-Za-z0-9/_.-]` paths without `..`.
 */
export interface BlobStore {
  put(key: string, source: BlobSource, options?: { contentType?: string }): Promise<{ size: number }>;
  /** A stream of the blob, or null when absent. */
  get(key: string): Promise<Readable | null>;
  getBuffer(key: string): Promise<Buffer | null>;
  stat(key: string): Promise<{ size: number } | null>;
  delete(key: string): Promise<void>;
  /** Keys under `prefix` (which must end with `/`), sorted; for operators and consistency checks, not hot paths. */
  list(prefix: string): Promise<string[]>;
  /** Deletes every blob whose key starts with `prefix` (which must end with `/`). */
  deletePrefix(prefix: string): Promise<void>;
  /** Runs `fn` with a local file holding the blob (the file itself where the backend is a disk), or null. */
  withLocalFile<T>(key: string, fn: (file: string) => Promise<T>): Promise<T | null>;
  ping(): Promise<void>;
}

const KEY = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

export function assertBlobKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.') || key.length > 512) {
    throw new Error(`invalid blob key ${JSON.stringify(key)}`);
  }
}
