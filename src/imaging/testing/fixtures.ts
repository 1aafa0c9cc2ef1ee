// Test images built in code (sharp for the common formats, hand-written headers for the rest), so the
// suite needs no binary fixtures. Only tests import this file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { sharp } from '../sharp-lib.ts';

export interface TempDir {
  readonly path: string;
  write(name: string, bytes: Buffer | string): Promise<string>;
  remove(): Promise<void>;
}

export async function makeTempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'lightbox-imaging-'));
  return {
    path,
    async write(name, bytes) {
      const file = join(path, name);
      await writeFile(file, bytes);
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/** A smooth colour gradient with some structure, so encoders and resizers have real work. */
export function photo(width: number, height: number, channels: 3 | 4 = 3): Buffer {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * channels;
      data[at] = Math.round((x / width) * 255);
      data[at + 1] = Math.round((y / height) * 255);
      data[at + 2] = (x * 7 + y * 13) % 256;
      if (channels === 4) data[at + 3] = x < width / 2 ? 255 : 128;
    }
  }
  return data;
}

/** Smooth photo-like structure: random colour blocks, upscaled and blurred. Deterministic per seed. */
export async function photoLike(width: number, height: number, seed = 1): Promise<Buffer> {
  const coarse = Buffer.alloc(24 * 18 * 3);
  let state = seed * 2654435761;
  for (let i = 0; i < coarse.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    coarse[i] = state >>> 24;
  }
  return sharp(coarse, { raw: { width: 24, height: 18, channels: 3 } })
    .resize(width, height, { kernel: 'cubic' })
    .blur(4)
    .jpeg({ quality: 92 })
    .toBuffer();
}

export async function encoded(
  format: 'jpeg' | 'png' | 'webp' | 'gif' | 'avif',
  width: number,
  height: number,
  channels: 3 | 4 = 3,
): Promise<Buffer> {
  const image = sharp(photo(width, height, channels), { raw: { width, height, channels } });
  return image.toFormat(format, format === 'avif' ? { effort: 0 } : {}).toBuffer();
}

/** Frames of solid, distinct colours. */
export async function animated(
  format: 'gif' | 'webp',
  frames: number,
  width: number,
  height: number,
): Promise<Buffer> {
  const strip = Buffer.alloc(width * height * frames * 3);
  for (let frame = 0; frame < frames; frame++) {
    const colour = [(frame * 80) % 256, 255 - ((frame * 80) % 256), 60];
    for (let i = 0; i < width * height; i++) strip.set(colour, (frame * width * height + i) * 3);
  }
  const image = sharp(strip, { raw: { width, height: height * frames, channels: 3, pageHeight: height } });
  const delay = Array.from({ length: frames }, () => 100);
  return format === 'gif'
    ? image.gif({ delay, loop: 0 }).toBuffer()
    : image.webp({ delay, loop: 0 }).toBuffer();
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG whose IHDR declares the given size (valid CRC) and, optionally, an IDAT of zeros. */
export function pngWithHeader(
  width: number,
  height: number,
  options: { bitDepth?: number; colourType?: number; idat?: Buffer } = {},
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = options.bitDepth ?? 8;
  ihdr[9] = options.colourType ?? 2;
  const chunks = [PNG_SIGNATURE, pngChunk('IHDR', ihdr)];
  if (options.idat) chunks.push(pngChunk('IDAT', options.idat));
  chunks.push(pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(chunks);
}

/** A decompression bomb: a 1-bit greyscale PNG of zeros, tens of KB that decode to `width × height`. */
export function pngBomb(width: number, height: number): Buffer {
  const row = Buffer.alloc(1 + Math.ceil(width / 8));
  const rows = Buffer.alloc(row.length * height);
  return pngWithHeader(width, height, { bitDepth: 1, colourType: 0, idat: deflateSync(rows, { level: 9 }) });
}

export interface BmpOptions {
  readonly bitsPerPixel: 8 | 24 | 32;
  readonly topDown?: boolean;
  /** RGBA of pixel (x, y), top row first. */
  readonly pixel: (x: number, y: number) => [number, number, number, number];
}

/** A Windows BMP (BITMAPINFOHEADER) written byte by byte. 8-bit uses a grey palette (R of the pixel). */
export function bmp(width: number, height: number, options: BmpOptions): Buffer {
  const { bitsPerPixel, topDown = false, pixel } = options;
  const paletteEntries = bitsPerPixel === 8 ? 256 : 0;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 32) * 4;
  const dataOffset = 14 + 40 + paletteEntries * 4;
  const file = Buffer.alloc(dataOffset + rowBytes * height);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(dataOffset, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(topDown ? -height : height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(bitsPerPixel, 28);
  file.writeUInt32LE(rowBytes * height, 34);
  file.writeUInt32LE(paletteEntries, 46);
  for (let i = 0; i < paletteEntries; i++) file.set([i, i, i, 0], 54 + i * 4);
  for (let y = 0; y < height; y++) {
    const row = topDown ? y : height - 1 - y;
    for (let x = 0; x < width; x++) {
      const [r, g, b, a] = pixel(x, y);
      const at = dataOffset + row * rowBytes + (x * bitsPerPixel) / 8;
      if (bitsPerPixel === 8) file[at] = r;
      else file.set(bitsPerPixel === 32 ? [b, g, r, a] : [b, g, r], at);
    }
  }
  return file;
}

export interface IcoEntry {
  /** A whole PNG file, or a 32-bit BGRA bitmap of the given size. */
  readonly png?: Buffer;
  readonly width: number;
  readonly height: number;
  readonly pixel?: (x: number, y: number) => [number, number, number, number];
}

/** An ICO file: PNG entries stored as is, bitmap entries as 32-bit DIBs with an AND mask. */
export function ico(entries: readonly IcoEntry[]): Buffer {
  const images = entries.map((entry) => entry.png ?? icoBitmap(entry));
  const header = Buffer.alloc(6 + 16 * entries.length);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(entries.length, 4);
  let offset = header.length;
  entries.forEach((entry, index) => {
    const at = 6 + index * 16;
    header[at] = entry.width >= 256 ? 0 : entry.width;
    header[at + 1] = entry.height >= 256 ? 0 : entry.height;
    header.writeUInt16LE(1, at + 4);
    header.writeUInt16LE(32, at + 6);
    header.writeUInt32LE(images[index]?.length ?? 0, at + 8);
    header.writeUInt32LE(offset, at + 12);
    offset += images[index]?.length ?? 0;
  });
  return Buffer.concat([header, ...images]);
}

function icoBitmap({ width, height, pixel = () => [0, 0, 0, 255] }: IcoEntry): Buffer {
  const maskRow = Math.ceil(width / 32) * 4;
  const dib = Buffer.alloc(40 + width * height * 4 + maskRow * height);
  dib.writeUInt32LE(40, 0);
  dib.writeInt32LE(width, 4);
  dib.writeInt32LE(height * 2, 8);
  dib.writeUInt16LE(1, 12);
  dib.writeUInt16LE(32, 14);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b, a] = pixel(x, y);
      dib.set([b, g, r, a], 40 + ((height - 1 - y) * width + x) * 4);
    }
  }
  return dib;
}

/**
 * No HEVC encoder is available offline (sharp's libheif encodes AV1 only, libheif-js has no encoder and no
 * HEIC sample ships in node_modules), so HEIC tests use an AVIF re-branded as HEIC: a valid HEIF container
 * (ftyp, meta, ispe…) whose payload the HEVC decoder cannot decode. `size` rewrites the declared ispe.
 */
export async function rebrandedHeic(size?: { width: number; height: number }): Promise<Buffer> {
  const file = Buffer.from(await encoded('avif', 16, 8));
  const ftypSize = file.readUInt32BE(0);
  file.write('heic', 8, 'latin1');
  for (let at = 16; at + 4 <= ftypSize; at += 4) {
    const brand = file.toString('latin1', at, at + 4);
    if (brand === 'avif' || brand === 'avis') file.write('heic', at, 'latin1');
  }
  if (size) {
    const ispe = file.indexOf('ispe', 0, 'latin1');
    file.writeUInt32BE(size.width, ispe + 8);
    file.writeUInt32BE(size.height, ispe + 12);
  }
  return file;
}

/** A JPEG carrying EXIF with a GPS position and orientation 6 (rotate 90° clockwise to display). */
export async function jpegWithGps(width: number, height: number): Promise<Buffer> {
  return sharp(photo(width, height), { raw: { width, height, channels: 3 } })
    .withExif({
      IFD0: { Copyright: 'Lightbox test', Make: 'TestCam' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 30/1 0/1',
        GPSLongitudeRef: 'W',
        GPSLongitude: '0/1 7/1 0/1',
      },
    })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
}

export const cleanSvg = (
  attributes = 'width="120" height="60"',
  body = '<rect width="60" height="60" fill="red"/>',
) => `<svg xmlns="http://www.w3.org/2000/svg" ${attributes}>${body}</svg>`;
