import type { EnhancePreset } from './enhance-types.ts';
import { PRESETS } from './presets.ts';

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
