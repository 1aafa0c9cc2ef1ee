import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Deadline } from './deadline.ts';
import { transportFailure } from './failure-mapping.ts';
import { type FetchFailure, fetchFailure } from './fetch-result.ts';
import { type ImageMimeType, SNIFF_LENGTH, sniffImageType } from './sniff.ts';

export type BufferedBody =
  | { readonly ok: true; readonly body: Buffer; readonly truncated: boolean }
  | FetchFailure;

export const tooLarge = (maxBytes: number, status?: number): FetchFailure =>
  fetchFailure('too_large', `response body exceeds ${maxBytes} bytes`, { status });

export const magicMismatch = (declared: string, status?: number): FetchFailure =>
  fetchFailure('type_mismatch', `content does not match its declared type ${declared}`, { status });

/**
 * Reads the body into memory, counting bytes as they arrive: Content-Length is not trusted, so a
 * lying or absent header is cut off at `maxBytes` all the same.
 */
export async function readBoundedBody(
  response: IncomingMessage,
  maxBytes: number,
  truncate: boolean,
  deadline: Deadline,
): Promise<BufferedBody> {
  const status = response.statusCode;
  const stop = () => response.destroy();
  deadline.signal.addEventListener('abort', stop, { once: true });
  if (deadline.expired) stop();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      const room = maxBytes - size;
      if (chunk.length > room) {
        // Leaving the loop destroys the response: nothing more is read from the socket.
        if (!truncate) return tooLarge(maxBytes, status);
        chunks.push(chunk.subarray(0, room));
        return { ok: true, body: Buffer.concat(chunks, maxBytes), truncated: true };
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (error) {
    return transportFailure(error, deadline, status);
  } finally {
    deadline.signal.removeEventListener('abort', stop);
  }
  if (!response.complete) return transportFailure(new Error('response ended early'), deadline, status);
  return { ok: true, body: Buffer.concat(chunks, size), truncated: false };
}

export type FileBody = { readonly ok: true; readonly bytes: number } | FetchFailure;

/** Carries a fetch failure out of the stream pipeline. */
class StopFetch extends Error {
  readonly failure: FetchFailure;
  constructor(failure: FetchFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

export interface FileWriteOptions {
  /** Bytes the file already holds: the body is appended after them and counts against `maxBytes` with them. */
  readonly offset: number;
  /** The whole file's declared size, for progress. */
  readonly total: number | undefined;
  readonly stallTimeoutMs: number | undefined;
  readonly onProgress: ((bytes: number, total: number | undefined) => void) | undefined;
}

/**
 * Streams the body to `path` (created or truncated, or appended to after `offset` bytes) without holding it in
 * memory, with the same byte counting as the buffered read and, when `expected` is set, the magic bytes checked
 * before anything is written. File-system errors are thrown: they are the caller's storage problem.
 */
export async function writeBoundedBody(
  response: IncomingMessage,
  path: string,
  maxBytes: number,
  expected: ImageMimeType | undefined,
  deadline: Deadline,
  options: FileWriteOptions = {
    offset: 0,
    total: undefined,
    stallTimeoutMs: undefined,
    onProgress: undefined,
  },
): Promise<FileBody> {
  const status = response.statusCode;
  const stall = new StallWatch(options.stallTimeoutMs, () => response.destroy(new StalledError()));
  const limiter = new BoundedTransform(maxBytes - options.offset, expected, status, (bytes) => {
    stall.touch();
    options.onProgress?.(options.offset + bytes, options.total);
  });
  const file = createWriteStream(path, { flags: options.offset > 0 ? 'a' : 'w' });
  try {
    await pipeline(response, limiter, file, { signal: deadline.signal });
  } catch (error) {
    if (error instanceof StopFetch) return error.failure;
    if (stall.fired) {
      return fetchFailure('timeout', 'URL fetch stalled', {
        status,
        detail: `no data for ${options.stallTimeoutMs} ms`,
      });
    }
    // The pipeline hands every error to every stream, so only the path tells a file-system error apart.
    if (isFileSystemError(error, path) && !deadline.expired) throw error;
    return transportFailure(error, deadline, status);
  } finally {
    stall.stop();
  }
  if (!response.complete) return transportFailure(new Error('response ended early'), deadline, status);
  return { ok: true, bytes: limiter.bytes };
}

class StalledError extends Error {
  override readonly name = 'StalledError';
}

/** Fires `onStall` when `touch` was not called for `ms` (never when `ms` is undefined). */
class StallWatch {
  fired = false;
  readonly #ms: number | undefined;
  readonly #onStall: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number | undefined, onStall: () => void) {
    this.#ms = ms;
    this.#onStall = onStall;
    this.touch();
  }

  touch(): void {
    if (this.#ms === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.fired = true;
      this.#onStall();
    }, this.#ms);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

class BoundedTransform extends Transform {
  bytes = 0;
  readonly #maxBytes: number;
  readonly #status: number | undefined;
  #expected: ImageMimeType | undefined;
  #head: Buffer[] = [];

  readonly #onChunk: ((bytes: number) => void) | undefined;

  /** `onChunk` hears the running count of every chunk accepted. */
  constructor(
    maxBytes: number,
    expected: ImageMimeType | undefined,
    status: number | undefined,
    onChunk?: (bytes: number) => void,
  ) {
    super();
    this.#maxBytes = maxBytes;
    this.#expected = expected;
    this.#status = status;
    this.#onChunk = onChunk;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#maxBytes) {
      callback(new StopFetch(tooLarge(this.#maxBytes, this.#status)));
      return;
    }
    this.#onChunk?.(this.bytes);
    if (this.#expected === undefined) {
      callback(null, chunk);
      return;
    }
    // Hold the first bytes back until they prove the type.
    this.#head.push(chunk);
    if (this.bytes < SNIFF_LENGTH) {
      callback();
      return;
    }
    this.#releaseHead(callback);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#expected === undefined) {
      callback();
      return;
    }
    this.#releaseHead(callback);
  }

  #releaseHead(callback: TransformCallback): void {
    const head = Buffer.concat(this.#head);
    const expected = this.#expected;
    this.#head = [];
    this.#expected = undefined;
    if (expected !== undefined && sniffImageType(head) !== expected) {
      callback(new StopFetch(magicMismatch(expected, this.#status)));
      return;
    }
    callback(null, head);
  }
}

function isFileSystemError(error: unknown, path: string): boolean {
  return typeof error === 'object' && error !== null && 'path' in error && error.path === path;
}
