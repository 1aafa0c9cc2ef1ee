import { DEFAULT_IMAGE_LIMITS } from '../image-limits.ts';
import { asImageFailure } from '../sharp-failure.ts';
import { sharp } from '../sharp-lib.ts';
import type { RgbImage } from './pixel-buffers.ts';

/**
 * Longest side the pipeline works at. The largest canvas is 2000 px with the product at 85 % (1700 px),
 * so a bigger working copy would only cost time and memory (segmentation and composing are JavaScript
 * loops over every pixel).
 */
export const MAX_WORKING_SIDE = 2048;

/**
 * The source as upright 8-bit sRGB pixels, transparency flattened onto white, at most `MAX_WORKING_SIDE`.
 * Throws `ImageFailureError` (corrupt / too many pixels) when the source cannot be decoded: that is a
 * source problem, not a provider one.
 */
export async function decodeWorkingImage(input: Buffer): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(input, {
      autoOrient: true,
      failOn: 'error',
      limitInputPixels: DEFAULT_IMAGE_LIMITS.maxPixels,
    })
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .resize(MAX_WORKING_SIDE, MAX_WORKING_SIDE, {
        fit: 'inside',
        withoutEnlargement: true,
        kernel: 'lanczos3',
      })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after decoding, got ${info.channels}`);
    return { width: info.width, height: info.height, data };
  } catch (error) {
    throw asImageFailure(error);
  }
}
