// Test images built in code for the HTTP suites (no binary fixtures). Only tests and benches import this file.
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { sharp } from '../../src/imaging/sharp-lib.ts';
import {
  bmp as bmpFile,
  ico as icoFile,
  pngWithHeader,
  pngBomb as squareBomb,
} from '../../src/imaging/testing/fixtures.ts';

type RasterFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';

/** A gradient with some structure, distinct per `seed`, so two generated images never share bytes. */
function pixels(width: number, height: number, seed: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      data[at] = Math.round((x / width) * 255);
      data[at + 1] = Math.round((y / height) * 255);
      data[at + 2] = (x * 7 + y * 13 + seed * 31) % 256;
    }
  }
  return data;
}

let seeds = 0;

/** A still image of the given raster format. */
export async function raster(format: RasterFormat, width = 40, height = 30): Promise<Buffer> {
  const image = sharp(pixels(width, height, seeds++), { raw: { width, height, channels: 3 } });
  return image.toFormat(format, format === 'avif' ? { effort: 0 } : {}).toBuffer();
}

export const jpeg = (width?: number, height?: number) => raster('jpeg', width, height);
export const png = (width?: number, height?: number) => raster('png', width, height);

/** An animated GIF or WebP: `frames` frames of `width × height`, each a solid distinct colour. */
export { animated } from '../../src/imaging/testing/fixtures.ts';

/** A 24-bit Windows BMP (BITMAPINFOHEADER, bottom-up), written byte by byte. */
export const bmp = (width: number, height: number): Buffer =>
  bmpFile(width, height, { bitsPerPixel: 24, pixel: (x, y) => [128, y % 256, x % 256, 255] });

/** An ICO file holding one PNG entry of `size × size`. */
export async function ico(size: number): Promise<Buffer> {
  return icoFile([{ png: await png(size, size), width: size, height: size }]);
}

export const svg = (
  body = '<rect width="60" height="60" fill="red"/>',
  attributes = 'width="120" height="60"',
) => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" ${attributes}>${body}</svg>`);

/**
 * A PNG whose IHDR declares `width × height` (8-bit RGB, valid CRCs) followed by a tiny IDAT and IEND:
 * the header lies about a size the file could never hold.
 */
export function pngDeclaring(width: number, height: number): Buffer {
  return pngWithHeader(width, height, { idat: deflateSync(Buffer.alloc(1 + width * 3)) });
}

/**
 * A decompression bomb: a single-colour (black, 1-bit greyscale) `size × size` PNG. 20000 × 20000 is about
 * 50 KB on disk and 400 megapixels decoded. Deflated by hand: sharp takes ~10 s to encode that many pixels.
 */
export const pngBomb = (size: number): Buffer => squareBomb(size, size);

/** Noise PNG of about `bytes` bytes (stored uncompressed): for storage quotas and the memory benchmark. */
export async function noisePng(bytes: number): Promise<Buffer> {
  const side = Math.max(1, Math.floor(Math.sqrt(bytes / 3)));
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

/** The first half of a valid progressive-free JPEG: header intact, scan data cut off. */
export async function truncatedJpeg(): Promise<Buffer> {
  const whole = await jpeg(200, 150);
  return whole.subarray(0, Math.floor(whole.length / 2));
}

/**
 * A HEIF container branded `heic` around an AV1 payload: detected as HEIC from its bytes, but no HEVC decoder
 * can decode it (no HEVC encoder is available offline to make a real one).
 */
export async function rebrandedHeic(): Promise<Buffer> {
  const file = Buffer.from(await raster('avif', 16, 8));
  const ftypSize = file.readUInt32BE(0);
  file.write('heic', 8, 'latin1');
  for (let at = 16; at + 4 <= ftypSize; at += 4) {
    const brand = file.toString('latin1', at, at + 4);
    if (brand === 'avif' || brand === 'avis') file.write('heic', at, 'latin1');
  }
  return file;
}
