import type { EnhancePreset } from './enhance-types.ts';

/** The product's bounding box takes this share of the canvas side (its longer side does). */
export const PRODUCT_FILL = 0.85;

/**
 * Canvas side per preset: the product at its own size where that fits (no resampling for nothing),
 * at least 1000 px (1600 for marketplaces, their usual minimum for zoom), at most 2000 px (bigger files
 * for no visible gain in a catalog).
 */
const CANVAS_RANGE: Readonly<Record<EnhancePreset, readonly [number, number]>> = {
  single_product_white_background: [1000, 2000],
  clean_catalog_group: [1000, 2000],
  marketplace_clean_catalog: [1600, 2000],
};

export interface CanvasPlan {
  /** Square canvas side. */
  readonly size: number;
  /** The product box's longer side on the canvas. */
  readonly productSide: number;
  /** Canvas pixels per source pixel. */
  readonly scale: number;
}

export function planCanvas(preset: EnhancePreset, productLongSide: number): CanvasPlan {
  const [min, max] = CANVAS_RANGE[preset];
  const size = Math.min(max, Math.max(min, Math.ceil(productLongSide / PRODUCT_FILL)));
  const productSide = Math.round(size * PRODUCT_FILL);
  return { size, productSide, scale: productSide / productLongSide };
}
