import { open, readFile, stat } from 'node:fs/promises';

/** An image as the server holds it: a path to a (temp or blob-store) file, or bytes already in memory. */
export type ImageSource = string | Buffer;

/** Positioned reads, so header parsers look at a few bytes of a 70 MB upload without loading it. */
export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes at `offset`; shorter at the end of the data. */
  read(offset: number, length: number): Promise<Buffer>;
}

export async function withByteSource<T>(
  source: ImageSource,
  use: (bytes: ByteSource) => Promise<T>,
): Promise<T> {
  if (Buffer.isBuffer(source)) {
    return use({
      size: source.length,
      read: async (offset, length) => source.subarray(offset, Math.min(source.length, offset + length)),
    });
  }
  const handle = await open(source, 'r');
  try {
    const { size } = await handle.stat();
    return await use({
      size,
      read: async (offset, length) => {
        const wanted = Math.max(0, Math.min(length, size - offset));
        const buffer = Buffer.alloc(wanted);
        const { bytesRead } = await handle.read(buffer, 0, wanted, offset);
        return buffer.subarray(0, bytesRead);
      },
    });
  } finally {
    await handle.close();
  }
}

export async function sourceSize(source: ImageSource): Promise<number> {
  return Buffer.isBuffer(source) ? source.length : (await stat(source)).size;
}

/** The whole image in memory: only for decoders that need it (HEIC, BMP, ICO, SVG), after the limits passed. */
export async function readWhole(source: ImageSource): Promise<Buffer> {
  return Buffer.isBuffer(source) ? source : readFile(source);
}
