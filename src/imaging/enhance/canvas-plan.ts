import type { EnhancePreset } from './enhance-types.ts';
import { PRESETS } from './presets.ts';

/**
 * Past 4× a product is mostly interpolation: edges go soft and JPEG blocks of the source become visible
 * (a 128 px product on a 1600 px canvas is 10.6×). 4× still lets a 250 px product fill a 1000 px canvas.
 */
export const DEFAULT_MAX_UPSCALE = 4;

export interface CanvasPlan {
  /** Square canvas side. */
  readonly size: number;
  /** The product box's longer side on the canvas. */
  readonly productSide: number;
  /** Canvas pixels per source pixel. */
  readonly scale: number;
}

/**
 * Canvas side per preset (`presets.ts`): the product at its own size where that fits (no resampling
 * for nothing), clamped to the preset's range; the product box's longer side takes `productFill` of it.
 */
export function planCanvas(preset: EnhancePreset, productLongSide: number): CanvasPlan {
  const { canvas, productFill } = PRESETS[preset];
  const size = Math.min(canvas.max, Math.max(canvas.min, Math.ceil(productLongSide / productFill)));
  const productSide = Math.round(size * productFill);
  return { size, productSide, scale: productSide / productLongSide };
}

/** Why the product is too small for the preset's canvas (for API users), or null. */
export function upscaleRefusal(
  preset: EnhancePreset,
  productLongSide: number,
  maxUpscale: number,
): string | null {
  const plan = planCanvas(preset, productLongSide);
  if (plan.scale <= maxUpscale) return null;
  return (
    `the product is only ${productLongSide} px on its longer side in this photo; the ${plan.size} px catalog ` +
    `image would enlarge it ${plan.scale.toFixed(1)}×, more than the ${maxUpscale}× allowed (send a larger photo)`
  );
}
