import type { ImageFormat } from './image-format.ts';
import { type ImageSource, withByteSource } from './image-source.ts';

/** Enough for every binary signature, and for an SVG preceded by an XML declaration and long comments. */
export const SNIFF_BYTES = 64 * 1024;

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs']);
// Generic HEIF brands: the codec is only known from the compatible brands.
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'mif2']);
const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);

const ascii = (text: string): number[] => Array.from(text, (char) => char.charCodeAt(0));

/**
 * The image type the leading bytes prove, or null. File names and declared types are never consulted:
 * a PDF called `cat.png` is null.
 */
export function detectFormat(head: Uint8Array): ImageFormat | null {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'gif';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(head, ascii('ftyp'), 4)) return detectIsoBrand(head);
  if (isBmp(head)) return 'bmp';
  if (isIco(head)) return 'ico';
  if (isSvg(head)) return 'svg';
  return null;
}

export async function detectSourceFormat(source: ImageSource): Promise<ImageFormat | null> {
  return withByteSource(source, async (bytes) => detectFormat(await bytes.read(0, SNIFF_BYTES)));
}

function detectIsoBrand(head: Uint8Array): ImageFormat | null {
  const view = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const boxSize = Math.min(view.readUInt32BE(0), view.length);
  if (boxSize < 16) return null;
  const major = view.toString('latin1', 8, 12);
  const compatible: string[] = [];
  for (let offset = 16; offset + 4 <= boxSize; offset += 4)
    compatible.push(view.toString('latin1', offset, offset + 4));
  if (AVIF_BRANDS.has(major)) return 'avif';
  if (HEIC_BRANDS.has(major)) return 'heic';
  if (!HEIF_BRANDS.has(major) && !compatible.some((brand) => HEIF_BRANDS.has(brand))) return null;
  if (compatible.some((brand) => AVIF_BRANDS.has(brand))) return 'avif';
  if (HEIF_BRANDS.has(major) || compatible.some((brand) => HEIC_BRANDS.has(brand))) return 'heic';
  // Some other ISO-BMFF file (MP4, QuickTime, CR3…) that merely lists a HEIF brand.
  return null;
}

function isBmp(head: Uint8Array): boolean {
  if (!startsWith(head, ascii('BM')) || head.length < 18) return false;
  const view = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  return BMP_HEADER_SIZES.has(view.readUInt32LE(14));
}

// The ICO signature is only four bytes (00 00 01 00), so the directory is checked too: a plausible count,
// zero reserved bytes, and a first image that starts after the directory.
function isIco(head: Uint8Array): boolean {
  if (head.length < 22 || !(startsWith(head, [0, 0, 1, 0]) || startsWith(head, [0, 0, 2, 0]))) return false;
  const view = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const count = view.readUInt16LE(4);
  if (count === 0) return false;
  const reserved = view[9];
  const dataSize = view.readUInt32LE(14);
  const dataOffset = view.readUInt32LE(18);
  return reserved === 0 && dataSize > 0 && dataOffset >= 6 + 16 * count;
}

const SVG_ROOT = /^<([A-Za-z_][\w.-]*:)?svg[\s/>]/;

/** Optional BOM, XML declaration, processing instructions, comments and a DOCTYPE, then an `<svg` root. */
function isSvg(head: Uint8Array): boolean {
  let text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let index = 0;
  for (;;) {
    while (index < text.length && /\s/.test(text.charAt(index))) index++;
    if (text.startsWith('<?', index)) index = skipPast(text, index, '?>');
    else if (text.startsWith('<!--', index)) index = skipPast(text, index, '-->');
    else if (text.slice(index, index + 9).toUpperCase() === '<!DOCTYPE') index = skipDoctype(text, index);
    else return SVG_ROOT.test(text.slice(index, index + 256));
    if (index < 0) return false;
  }
}

function skipPast(text: string, from: number, terminator: string): number {
  const end = text.indexOf(terminator, from);
  return end < 0 ? -1 : end + terminator.length;
}

// A DOCTYPE may hold an internal subset in brackets, whose declarations contain `>`. Detection lets it
// through; the sanitizer decides what to do with it.
function skipDoctype(text: string, from: number): number {
  let depth = 0;
  for (let index = from + 9; index < text.length; index++) {
    const char = text.charAt(index);
    if (char === '[') depth++;
    else if (char === ']') depth--;
    else if (char === '>' && depth <= 0) return index + 1;
  }
  return -1;
}
