import type { Dimensions } from './header-dimensions.ts';
import { type Sharp, type SharpOptions, sharp } from './sharp-lib.ts';

/**
 * Uncompressed pyramid levels (pyramid.ts): the pixels behind a 20-byte header, so that a rendition reads them
 * instead of entropy-decoding a q100 JPEG (≈ 10 ms of the ≈ 45–70 ms an uncached 853×640 rendition costs, measured
 * in docs/benchmarks.md "Delivery"). Our own format, written and read only by the server: libvips's `.v` would do
 * the same but loads from files only, and a level must also load from memory.
 *
 * Layout: "LBRAWPX1", then width, height and channels as little-endian uint32, then width × height × channels bytes,
 * row-major, 8 bits per sample (sRGB or grey, no alpha).
 */
const MAGIC = Buffer.from('LBRAWPX1', 'latin1');
export const RAW_LEVEL_HEADER_BYTES = MAGIC.length + 12;

export interface RawLevel extends Dimensions {
  readonly channels: 1 | 3;
  readonly pixels: Buffer;
}

/** Whether these first bytes of a level are a raw level (rather than a JPEG one). */
export const isRawLevel = (head: Buffer): boolean =>
  head.length >= MAGIC.length && head.subarray(0, MAGIC.length).equals(MAGIC);

export function encodeRawLevel(level: RawLevel): Buffer {
  const header = Buffer.alloc(RAW_LEVEL_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(level.width, MAGIC.length);
  header.writeUInt32LE(level.height, MAGIC.length + 4);
  header.writeUInt32LE(level.channels, MAGIC.length + 8);
  return Buffer.concat([header, level.pixels]);
}

/** The level, or null when the bytes are not a whole, well-formed raw level (then the original is read instead). */
export function decodeRawLevel(data: Buffer): RawLevel | null {
  if (data.length < RAW_LEVEL_HEADER_BYTES || !isRawLevel(data)) return null;
  const width = data.readUInt32LE(MAGIC.length);
  const height = data.readUInt32LE(MAGIC.length + 4);
  const channels = data.readUInt32LE(MAGIC.length + 8);
  if (width < 1 || height < 1 || (channels !== 1 && channels !== 3)) return null;
  if (data.length !== RAW_LEVEL_HEADER_BYTES + width * height * channels) return null;
  return { width, height, channels, pixels: data.subarray(RAW_LEVEL_HEADER_BYTES) };
}

/** A level's pixels as a sharp pipeline, whichever way it is stored (for tools and tests; render.ts checks limits). */
export function levelPipeline(data: Buffer, options: SharpOptions = {}): Sharp {
  const raw = decodeRawLevel(data);
  if (!raw) return sharp(data, options);
  return sharp(raw.pixels, {
    ...options,
    raw: { width: raw.width, height: raw.height, channels: raw.channels },
  });
}
