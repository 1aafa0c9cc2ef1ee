import { ssim } from 'ssim.js';
import type { Sharp } from './sharp-lib.ts';

/** Decoded pixels as ssim.js reads them: 8-bit RGBA, row by row. */
export interface RgbaPixels {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/** The pixels of a pipeline (or of an encoded image opened with sharp) as 8-bit sRGB RGBA. */
export async function rgbaPixels(image: Sharp): Promise<RgbaPixels> {
  const { data, info } = await image
    .toColorspace('srgb')
    .ensureAlpha(1)
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

/**
 * Mean SSIM of two images of the same size (1 = identical), at full resolution (no downsampling: compression
 * artefacts are a full-resolution effect). `weber` (the default) is ssim.js's exact Gaussian-window SSIM, used by the
 * benchmarks; `bezkrovny` its block approximation, ~10× faster, used by `q=auto` where it runs several times per
 * request.
 */
export function similarity(a: RgbaPixels, b: RgbaPixels, variant: 'weber' | 'bezkrovny' = 'weber'): number {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`similarity of ${a.width}×${a.height} and ${b.width}×${b.height}`);
  }
  return ssim(a, b, { ssim: variant, downsample: false }).mssim;
}
