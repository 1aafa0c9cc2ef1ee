import { randomBytes } from 'node:crypto';

/** What an upload sends: a file on disk, bytes in memory, or a Blob (a `File` included). */
export type UploadSource = string | Uint8Array | Blob;

const CHUNK = 64 * 1024;
const encoder = new TextEncoder();

/** The file part's bytes, readable once per attempt. */
export interface FilePart {
  filename: string;
  size: number;
  chunks: () => AsyncIterable<Uint8Array>;
}

/** A path is read lazily (node:fs is loaded only for paths, so Buffer and Blob uploads need no file system). */
export async function filePart(source: UploadSource, filename: string | undefined): Promise<FilePart> {
  if (typeof source === 'string') {
    const [{ createReadStream }, { stat }, { basename }] = await Promise.all([
      import('node:fs'),
      import('node:fs/promises'),
      import('node:path'),
    ]);
    const info = await stat(source);
    if (!info.isFile()) throw new TypeError(`${source} is not a file`);
    return {
      filename: filename ?? basename(source),
      size: info.size,
      chunks: () => createReadStream(source, { highWaterMark: CHUNK }),
    };
  }
  if (source instanceof Uint8Array) {
    return {
      filename: filename ?? 'image',
      size: source.byteLength,
      chunks: async function* () {
        for (let at = 0; at < source.byteLength; at += CHUNK) yield source.subarray(at, at + CHUNK);
      },
    };
  }
  const named = (source as Blob & { name?: unknown }).name;
  return {
    filename: filename ?? (typeof named === 'string' && named ? named : 'image'),
    size: source.size,
    chunks: async function* () {
      const reader = source.stream().getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    },
  };
}

/** Quotes and line breaks cannot appear inside a multipart header value: encode them as browsers do. */
const headerSafe = (value: string) => value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/**
 * A `multipart/form-data` body streamed from its parts, with an exact `Content-Length` (so the server can refuse an
 * oversized upload at once) and progress in bytes handed to the connection.
 */
export function multipartBody(
  fields: [string, string][],
  file: FilePart,
  onProgress?: (sent: number, total: number) => void,
): { body: ReadableStream<Uint8Array>; headers: Record<string, string> } {
  const boundary = `----lightbox${randomBytes(12).toString('hex')}`;
  const head = encoder.encode(
    fields
      .map(
        ([name, value]) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${headerSafe(name)}"\r\n\r\n${value}\r\n`,
      )
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${headerSafe(file.filename)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const total = head.byteLength + file.size + tail.byteLength;
  async function* all(): AsyncGenerator<Uint8Array> {
    yield head;
    for await (const chunk of file.chunks()) yield chunk;
    yield tail;
  }
  const parts = all();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await parts.next();
      if (done) return controller.close();
      sent += value.byteLength;
      onProgress?.(sent, total);
      controller.enqueue(value);
    },
    async cancel() {
      await parts.return(undefined);
    },
  });
  return {
    body,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(total) },
  };
}
