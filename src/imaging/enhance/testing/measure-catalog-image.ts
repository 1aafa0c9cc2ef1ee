// Measurements on an enhanced image, for the tests: what a marketplace reviewer would check by eye.
import { sharp } from '../../sharp-lib.ts';
import type { Box, Rgb } from '../pixel-buffers.ts';

export interface DecodedOutput {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly format: string | undefined;
  readonly space: string | undefined;
  readonly hasProfile: boolean;
  readonly data: Buffer;
}

export async function decodeOutput(jpeg: Buffer): Promise<DecodedOutput> {
  const metadata = await sharp(jpeg).metadata();
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    channels: metadata.channels,
    format: metadata.format,
    space: metadata.space,
    hasProfile: metadata.hasProfile ?? false,
    data,
  };
}

/** Whether every pixel of the outer frame (`fraction` of the side) is exactly RGB 255. */
export function frameIsPureWhite(image: DecodedOutput, fraction = 0.02): boolean {
  const { width, height, data, channels } = image;
  const frame = Math.ceil(Math.min(width, height) * fraction);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (x >= frame && x < width - frame && y >= frame && y < height - frame) continue;
      const at = (y * width + x) * channels;
      if (data[at] !== 255 || data[at + 1] !== 255 || data[at + 2] !== 255) return false;
    }
  }
  return true;
}

/** Bounding box of pixels whose darkest channel is below `threshold` (the product, on white). */
export function nonWhiteBox(image: DecodedOutput, threshold = 250, within?: Box): Box | null {
  const { width, data, channels } = image;
  const area = within ?? { left: 0, top: 0, width: image.width, height: image.height };
  let left = Number.POSITIVE_INFINITY;
  let top = Number.POSITIVE_INFINITY;
  let right = -1;
  let bottom = -1;
  for (let y = area.top; y < area.top + area.height; y++) {
    for (let x = area.left; x < area.left + area.width; x++) {
      const at = (y * width + x) * channels;
      if (Math.min(data[at]!, data[at + 1]!, data[at + 2]!) >= threshold) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
    }
  }
  return right < 0 ? null : { left, top, width: right - left + 1, height: bottom - top + 1 };
}

/** Mean colour of a square patch centred on (x, y). */
export function patchMean(image: DecodedOutput, x: number, y: number, half = 15): Rgb {
  const sums = [0, 0, 0];
  let count = 0;
  for (let py = y - half; py <= y + half; py++) {
    for (let px = x - half; px <= x + half; px++) {
      const at = (py * image.width + px) * image.channels;
      sums[0]! += image.data[at]!;
      sums[1]! += image.data[at + 1]!;
      sums[2]! += image.data[at + 2]!;
      count++;
    }
  }
  return [sums[0]! / count, sums[1]! / count, sums[2]! / count];
}

/** Hue angle in degrees (HSV), for colours that have one. */
export function hueDegrees([r, g, b]: Rgb): number {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const chroma = max - min;
  if (chroma === 0) return 0;
  let hue: number;
  if (max === r) hue = ((g - b) / chroma) % 6;
  else if (max === g) hue = (b - r) / chroma + 2;
  else hue = (r - g) / chroma + 4;
  return (hue * 60 + 360) % 360;
}
