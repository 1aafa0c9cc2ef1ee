import type { ByteSource } from './image-source.ts';

export interface Dimensions {
  readonly width: number;
  readonly height: number;
}

/**
 * Width and height as the file header declares them, read without any decoder: the pixel limit is checked
 * on these before libvips sees the file (libvips itself rejects some absurd headers with a vague error).
 * Null when the header does not say (the caller then asks sharp).
 */
export async function readRasterDimensions(
  format: 'jpeg' | 'png' | 'gif' | 'webp',
  bytes: ByteSource,
): Promise<Dimensions | null> {
  if (format === 'jpeg') return readJpegDimensions(bytes);
  const head = await bytes.read(0, 32);
  return rasterHeaderDimensions(format, head);
}

/** The same for formats whose dimensions sit in the first 32 bytes; also used for data: URIs inside SVG. */
export function rasterHeaderDimensions(format: 'png' | 'gif' | 'webp', head: Buffer): Dimensions | null {
  if (format === 'png') {
    if (head.length < 24 || head.toString('latin1', 12, 16) !== 'IHDR') return null;
    return positive(head.readUInt32BE(16), head.readUInt32BE(20));
  }
  if (format === 'gif') {
    if (head.length < 10) return null;
    return positive(head.readUInt16LE(6), head.readUInt16LE(8));
  }
  if (head.length < 30) return null;
  const chunk = head.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') return positive(head.readUInt16LE(26) & 0x3fff, head.readUInt16LE(28) & 0x3fff);
  if (chunk === 'VP8L') {
    const bits = head.readUInt32LE(21);
    return positive((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X') return positive(head.readUIntLE(24, 3) + 1, head.readUIntLE(27, 3) + 1);
  return null;
}

const MAX_JPEG_SEGMENTS = 1000;
// APP segments (EXIF, ICC, XMP) come before the frame header and are at most 64 KiB each; a few MiB of
// prefix covers any real file, and the search stops there.
const JPEG_PREFIXES = [256 * 1024, 4 * 1024 * 1024];

async function readJpegDimensions(bytes: ByteSource): Promise<Dimensions | null> {
  for (const length of JPEG_PREFIXES) {
    const prefix = await bytes.read(0, length);
    const found = jpegDimensions(prefix);
    if (found !== 'need-more') return found;
    if (prefix.length < length) return null;
  }
  return null;
}

/** JPEG dimensions from the frame header in `data` (a prefix of the file, or a data: URI's bytes). */
export function jpegDimensions(data: Buffer): Dimensions | null | 'need-more' {
  const frame = jpegFrame(data);
  return frame === null || frame === 'need-more' ? frame : { width: frame.width, height: frame.height };
}

/** The frame header of a JPEG: its dimensions and colour components (1 = greyscale). */
export function jpegFrame(data: Buffer): (Dimensions & { components: number }) | null | 'need-more' {
  let offset = 2;
  for (let segment = 0; segment < MAX_JPEG_SEGMENTS; segment++) {
    if (offset + 2 > data.length) return 'need-more';
    if (data[offset] !== 0xff) return null;
    const code = data[offset + 1] ?? 0;
    if (code === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (code === 0x01 || (code >= 0xd0 && code <= 0xd7)) {
      offset += 2; // standalone marker, no length
      continue;
    }
    if (code === 0xd9 || code === 0xda) return null; // end of image, or a scan before any frame header
    if (offset + 11 > data.length) return 'need-more';
    if (isStartOfFrame(code)) {
      const size = positive(data.readUInt16BE(offset + 7), data.readUInt16BE(offset + 5));
      return size && { ...size, components: data[offset + 9] ?? 0 };
    }
    offset += 2 + data.readUInt16BE(offset + 2);
  }
  return null;
}

// SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
const isStartOfFrame = (code: number): boolean =>
  code >= 0xc0 && code <= 0xcf && code !== 0xc4 && code !== 0xc8 && code !== 0xcc;

const positive = (width: number, height: number): Dimensions | null =>
  width > 0 && height > 0 ? { width, height } : null;

/** True when a WebP's (first) image is VP8L, the lossless codec: its original must stay lossless. */
export function isLosslessWebp(head: Buffer): boolean {
  let offset = 12;
  while (offset + 8 <= head.length) {
    const chunk = head.toString('latin1', offset, offset + 4);
    if (chunk === 'VP8L') return true;
    if (chunk === 'VP8 ') return false;
    // An animation frame's own header is 16 bytes, then its image chunks.
    if (chunk === 'ANMF') offset += 8 + 16;
    else offset += 8 + head.readUInt32LE(offset + 4) + (head.readUInt32LE(offset + 4) % 2);
  }
  return false;
}
