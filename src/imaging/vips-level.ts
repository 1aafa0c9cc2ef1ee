import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Dimensions } from './header-dimensions.ts';
import { type Sharp, type SharpOptions, sharp } from './sharp-lib.ts';

/**
 * Uncompressed pyramid levels (pyramid.ts), in libvips's native format: a 64-byte header, the pixels, and an XML
 * trailer. A rendition then reads the pixels instead of entropy-decoding a q100 JPEG (≈ 10 ms of the 40–70 ms an
 * uncached 853×640 rendition costs, docs/benchmarks.md "Delivery"). libvips maps the file itself: the pixels never
 * pass through the JavaScript heap. Reading them into a Buffer instead (our own raw format, tried first) made every
 * uncached rendition allocate megabytes that V8 counts as external memory: ten times the garbage collection, and
 * fewer renditions per second than the JPEG levels under load.
 *
 * Only levels the server wrote itself are opened this way; the header is checked first (uchar, uncoded, 1 or 3
 * bands, the whole pixel area present) and its dimensions go through the image limits like any source.
 */
const HEADER_BYTES = 64;
/** VIPS_MAGIC_INTEL as it appears on disk: files written on little-endian machines. */
const MAGIC = Buffer.from([0xb6, 0xa6, 0xf2, 0x08]);
const BAND_FORMAT_UCHAR = 0;
const CODING_NONE = 0;

export interface VipsLevelHeader extends Dimensions {
  readonly channels: 1 | 3;
}

/** Whether these first bytes of a level are a libvips image (rather than a JPEG level). */
export const isVipsLevel = (head: Buffer): boolean =>
  head.length >= MAGIC.length && head.subarray(0, MAGIC.length).equals(MAGIC);

/**
 * The header of a level of `size` bytes in all, or null when it is not a well-formed 8-bit level whose pixels are
 * all there (then the original is read instead).
 */
export function vipsLevelHeader(head: Buffer, size: number): VipsLevelHeader | null {
  if (head.length < HEADER_BYTES || !isVipsLevel(head)) return null;
  const width = head.readInt32LE(4);
  const height = head.readInt32LE(8);
  const channels = head.readInt32LE(12);
  if (width < 1 || height < 1 || (channels !== 1 && channels !== 3)) return null;
  if (head.readInt32LE(20) !== BAND_FORMAT_UCHAR || head.readInt32LE(24) !== CODING_NONE) return null;
  if (size < HEADER_BYTES + width * height * channels) return null;
  return { width, height, channels };
}

/** Writes an image (8-bit, 1 or 3 bands) as a level; libvips saves its native format to files only. */
export async function encodeVipsLevel(image: Sharp): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-level-'));
  try {
    const file = path.join(dir, 'level.v');
    await image.toFile(file);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A level held in memory, whichever way it is stored, as a sharp pipeline (tests, tools, and levels given as bytes;
 * the server's levels are files, which libvips opens itself).
 */
export function levelPipeline(data: Buffer, options: SharpOptions = {}): Sharp {
  const header = vipsLevelHeader(data.subarray(0, HEADER_BYTES), data.length);
  if (!header) return sharp(data, options);
  const { width, height, channels } = header;
  const pixels = data.subarray(HEADER_BYTES, HEADER_BYTES + width * height * channels);
  return sharp(pixels, { ...options, raw: { width, height, channels } });
}
