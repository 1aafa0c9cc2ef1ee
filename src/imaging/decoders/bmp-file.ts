import { corrupt, ImageFailureError } from '../image-failure.ts';
import type { ByteSource } from '../image-source.ts';

/** What a BMP header declares, validated against the subset the decoder handles. */
export interface BmpHeader {
  readonly width: number;
  readonly height: number;
  readonly topDown: boolean;
  readonly bitsPerPixel: 1 | 4 | 8 | 24 | 32;
  readonly pixelOffset: number;
  readonly rowBytes: number;
  readonly palette: { readonly offset: number; readonly entries: number; readonly entryBytes: 3 | 4 };
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;
const FILE_HEADER = 14;
const SUPPORTED_DEPTHS = new Set([1, 4, 8, 24, 32]);

const unsupportedVariant = (what: string): ImageFailureError =>
  new ImageFailureError('unsupported', `Unsupported BMP variant: ${what}`);

/**
 * Reads and checks the headers (a few hundred bytes). decode-bmp handles uncompressed 1/4/8/24/32-bit
 * bottom-up files with the palette right after a 40-byte header; everything else it misreads, so the
 * header is validated here and the file rewritten into that shape by `canonicalBmp`.
 */
export async function readBmpHeader(bytes: ByteSource): Promise<BmpHeader> {
  const head = await bytes.read(0, FILE_HEADER + 124 + 16);
  if (head.length < FILE_HEADER + 12) throw corrupt('bmp header truncated');
  const pixelOffset = head.readUInt32LE(10);
  const dibSize = head.readUInt32LE(14);
  const core = dibSize === 12;
  if (head.length < FILE_HEADER + dibSize) throw corrupt('bmp info header truncated');

  const width = core ? head.readUInt16LE(18) : head.readInt32LE(18);
  const signedHeight = core ? head.readInt16LE(20) : head.readInt32LE(22);
  const bitsPerPixel = head.readUInt16LE(core ? 24 : 28);
  const compression = core ? BI_RGB : head.readUInt32LE(30);
  if (width <= 0 || signedHeight === 0) throw corrupt(`bmp dimensions ${width}x${signedHeight}`);
  if (!SUPPORTED_DEPTHS.has(bitsPerPixel)) throw unsupportedVariant(`${bitsPerPixel} bits per pixel`);

  let masksEnd = FILE_HEADER + dibSize;
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
    if (bitsPerPixel !== 32) throw unsupportedVariant(`${bitsPerPixel}-bit bit fields`);
    // 40-byte headers keep the masks after the header; V2+ headers hold them inside.
    const masksAt = FILE_HEADER + 40;
    if (dibSize === 40) masksEnd += compression === BI_ALPHABITFIELDS ? 16 : 12;
    if (head.length < masksAt + 12) throw corrupt('bmp bit masks truncated');
    const standard =
      head.readUInt32LE(masksAt) === 0x00ff0000 &&
      head.readUInt32LE(masksAt + 4) === 0x0000ff00 &&
      head.readUInt32LE(masksAt + 8) === 0x000000ff;
    if (!standard) throw unsupportedVariant('non-standard bit masks');
  } else if (compression !== BI_RGB) {
    throw unsupportedVariant(compression === 1 || compression === 2 ? 'RLE compression' : 'compressed data');
  }

  const entryBytes = core ? 3 : 4;
  let entries = 0;
  if (bitsPerPixel <= 8) {
    const declared = core ? 0 : head.readUInt32LE(46);
    entries = declared === 0 || declared > 1 << bitsPerPixel ? 1 << bitsPerPixel : declared;
  }
  const height = Math.abs(signedHeight);
  const rowBytes = Math.ceil((width * bitsPerPixel) / 32) * 4;
  const header: BmpHeader = {
    width,
    height,
    topDown: signedHeight < 0,
    bitsPerPixel: bitsPerPixel as BmpHeader['bitsPerPixel'],
    pixelOffset,
    rowBytes,
    palette: { offset: masksEnd, entries, entryBytes },
  };
  return header;
}

/** Checks the data is all there; call after the pixel limit passed, before reading the file. */
export function assertBmpComplete(header: BmpHeader, fileSize: number): void {
  const paletteEnd = header.palette.offset + header.palette.entries * header.palette.entryBytes;
  if (paletteEnd > fileSize || header.pixelOffset + header.rowBytes * header.height > fileSize) {
    throw corrupt('bmp data truncated');
  }
}

/** The same image as an uncompressed, bottom-up BMP with a 40-byte header and a 4-byte palette. */
export function canonicalBmp(file: Buffer, header: BmpHeader): Buffer {
  const { width, height, bitsPerPixel, rowBytes, palette } = header;
  const paletteBytes = palette.entries * 4;
  const pixelBytes = rowBytes * height;
  const dataOffset = FILE_HEADER + 40 + paletteBytes;
  const out = Buffer.alloc(dataOffset + pixelBytes);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(dataOffset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bitsPerPixel, 28);
  out.writeUInt32LE(BI_RGB, 30);
  out.writeUInt32LE(pixelBytes, 34);
  out.writeUInt32LE(palette.entries, 46);
  for (let entry = 0; entry < palette.entries; entry++) {
    const from = palette.offset + entry * palette.entryBytes;
    file.copy(out, FILE_HEADER + 40 + entry * 4, from, from + 3);
  }
  if (header.topDown) {
    for (let row = 0; row < height; row++) {
      const from = header.pixelOffset + row * rowBytes;
      file.copy(out, dataOffset + (height - 1 - row) * rowBytes, from, from + rowBytes);
    }
  } else {
    file.copy(out, dataOffset, header.pixelOffset, header.pixelOffset + pixelBytes);
  }
  return out;
}
