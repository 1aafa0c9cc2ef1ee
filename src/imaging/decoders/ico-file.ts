import { rasterHeaderDimensions } from '../header-dimensions.ts';
import { corrupt, ImageFailureError } from '../image-failure.ts';
import type { ByteSource } from '../image-source.ts';

/** The one icon image that is shown: the largest (then deepest) entry of the directory. */
export interface IcoImage {
  readonly width: number;
  readonly height: number;
  readonly offset: number;
  readonly size: number;
  /** Vista+ icons store big sizes as a whole PNG file. */
  readonly png: boolean;
}

const SUPPORTED_DEPTHS = new Set([1, 4, 8, 24, 32]);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * decode-ico decodes every entry of the directory at once, and the directory is untrusted (65 535 entries
 * may all point at the same 256×256 bitmap). So the directory is read here and only the chosen entry is
 * decoded; its real dimensions come from its own header, not from the directory's one-byte sizes.
 */
export async function readIcoImage(bytes: ByteSource): Promise<IcoImage> {
  const head = await bytes.read(0, 6);
  if (head.length < 6) throw corrupt('ico header truncated');
  const count = head.readUInt16LE(4);
  const directory = await bytes.read(6, count * 16);
  if (count === 0 || directory.length < count * 16) throw corrupt('ico directory truncated');

  let best: { index: number; area: number; depth: number } | undefined;
  for (let index = 0; index < count; index++) {
    const at = index * 16;
    const area = (directory[at] || 256) * (directory[at + 1] || 256);
    const depth = directory.readUInt16LE(at + 6);
    if (!best || area > best.area || (area === best.area && depth > best.depth))
      best = { index, area, depth };
  }
  const at = (best?.index ?? 0) * 16;
  const size = directory.readUInt32LE(at + 8);
  const offset = directory.readUInt32LE(at + 12);
  if (size < 40 || offset + size > bytes.size) throw corrupt('ico entry outside the file');

  const entryHead = await bytes.read(offset, 40);
  if (entryHead.subarray(0, 8).equals(PNG_SIGNATURE)) {
    const dimensions = rasterHeaderDimensions('png', entryHead);
    if (!dimensions) throw corrupt('ico png entry without header');
    return { ...dimensions, offset, size, png: true };
  }
  const width = entryHead.readInt32LE(4);
  const doubledHeight = entryHead.readInt32LE(8);
  const bitsPerPixel = entryHead.readUInt16LE(14);
  const compression = entryHead.readUInt32LE(16);
  if (width <= 0 || doubledHeight <= 0) throw corrupt(`ico bitmap dimensions ${width}x${doubledHeight}`);
  if (compression !== 0 || !SUPPORTED_DEPTHS.has(bitsPerPixel)) {
    throw new ImageFailureError(
      'unsupported',
      `Unsupported ICO variant: ${bitsPerPixel}-bit or compressed bitmap`,
    );
  }
  return { width, height: Math.floor(doubledHeight / 2), offset, size, png: false };
}
