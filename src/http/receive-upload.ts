import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError, validationError } from '../errors/app-error.ts';
import { randomBase36 } from '../lib/ids.ts';

export interface ReceivedFile {
  path: string;
  size: number;
  sha256: string;
  filename: string;
}

export interface ReceivedUpload {
  fields: Record<string, string>;
  file: ReceivedFile | null;
  /** Removes the temp file; safe to call twice. */
  discard(): Promise<void>;
}

const MB = 1024 * 1024;

function fileTooLarge(actualBytes: number | undefined, maxBytes: number): AppError {
  const max = `${Math.round(maxBytes / MB)} MB`;
  return new AppError('upload_failed', {
    message:
      actualBytes !== undefined
        ? `File too large: ${(actualBytes / MB).toFixed(2)} MB. Maximum file size is ${max}.`
        : `File too large. Maximum file size is ${max}.`,
  });
}

/**
 * Streams a multipart upload to a temp file while hashing it, and stops reading the moment the file crosses
 * `maxBytes` (the connection is then closed, so the rest is never read). Memory stays flat whatever the size.
 */
export async function receiveUpload(
  request: FastifyRequest,
  options: { tmpDir: string; maxBytes: number },
): Promise<ReceivedUpload> {
  const fields: Record<string, string> = {};
  let file: ReceivedFile | null = null;
  const temps: string[] = [];
  const discard = async () => {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
  };

  try {
    // Everything the multipart parser raises — at the start (no or bad boundary), between parts (truncated body,
    // bad part headers, limits) or inside a file part (cut short) — is the client's malformed body; only the
    // temp file's own write failing is ours.
    let iterator: AsyncIterator<Multipart>;
    try {
      iterator = request
        .parts({
          limits: { fileSize: options.maxBytes, files: 1, fields: 40, fieldSize: 16 * 1024, parts: 50 },
        })
        [Symbol.asyncIterator]();
    } catch (error) {
      throw new MultipartFailure(error);
    }
    for (;;) {
      let next: IteratorResult<Multipart>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw new MultipartFailure(error);
      }
      if (next.done) break;
      const part = next.value;
      if (part.type === 'field') {
        if (typeof part.value === 'string') fields[part.fieldname] = part.value;
        continue;
      }
      if (part.fieldname !== 'file') {
        part.file.resume();
        continue;
      }
      const temp = path.join(options.tmpDir, `upload-${randomBase36(16)}`);
      temps.push(temp);
      const hash = createHash('sha256');
      let size = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          hash.update(chunk);
          done(null, chunk);
        },
      });
      // busboy only truncates the file at the limit and goes on reading (and discarding) the rest of the body;
      // fail the part right away instead, so the answer goes out and the connection closes now.
      part.file.once('limit', () => {
        tap.destroy(Object.assign(new Error('file too large'), { code: 'FST_REQ_FILE_TOO_LARGE' }));
      });
      const sink = createWriteStream(temp);
      // pipeline destroys every stream with the first error, and the file part may have failed before this
      // listener could see it: the sink's own failures are the system errors of writing the temp file.
      let sinkError: NodeJS.ErrnoException | undefined;
      sink.once('error', (error: NodeJS.ErrnoException) => {
        sinkError = error;
      });
      // The temp file is opened asynchronously: a part that fails at once (a body cut short) destroys the sink
      // while its open is still pending, and the file appears after that. Removing it must wait for the close.
      const sinkClosed = new Promise<void>((resolve) => sink.once('close', () => resolve()));
      try {
        await pipeline(part.file, tap, sink);
      } catch (error) {
        await sinkClosed;
        throw sinkError?.syscall !== undefined ? error : new MultipartFailure(error);
      }
      file = { path: temp, size, sha256: hash.digest('hex'), filename: part.filename };
    }
  } catch (error) {
    await discard();
    throw translate(request, error, options.maxBytes);
  }
  return { fields, file, discard };
}

/** An error the multipart parser raised: the body is malformed, whatever the parser's wording. */
class MultipartFailure extends Error {
  constructor(override readonly cause: unknown) {
    super('malformed multipart body', { cause });
  }
}

function translate(request: FastifyRequest, thrown: unknown, maxBytes: number): unknown {
  const error = thrown instanceof MultipartFailure ? thrown.cause : thrown;
  const code = (error as { code?: string } | null)?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') {
    const declared = Number(request.headers['content-length']);
    const tooLarge = fileTooLarge(
      Number.isFinite(declared) && declared > maxBytes ? declared : undefined,
      maxBytes,
    );
    // Stop the client from sending the rest: answer now and drop the connection.
    return new AppError(tooLarge.code, { ...tooLarge.details, headers: { connection: 'close' } });
  }
  if (code === 'FST_FILES_LIMIT') return validationError({ file: ['Send exactly one file'] });
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return validationError({ body: ['Too many fields'] });
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return validationError({ file: ['File is required (multipart/form-data)'] });
  }
  if (thrown instanceof MultipartFailure) {
    request.log.debug({ err: error }, 'malformed multipart body');
    // The rest of the body may still be on its way; there is no point reading it.
    return validationError({ body: ['Malformed multipart body'] }, { headers: { connection: 'close' } });
  }
  return error;
}
