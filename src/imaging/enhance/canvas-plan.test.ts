import { describe, expect, it } from 'vitest';
import { planCanvas, upscaleRefusal } from './canvas-plan.ts';

describe('planCanvas', () => {
  it('keeps the product at its own size between 1000 and 2000 px', () => {
    expect(planCanvas('single_product_white_background', 1275)).toEqual({
      size: 1500,
      productSide: 1275,
      scale: 1,
    });
    expect(planCanvas('clean_catalog_group', 300).size).toBe(1000);
    expect(planCanvas('single_product_white_background', 3000).size).toBe(2000);
  });

  it('gives marketplaces at least 1600 px', () => {
    const plan = planCanvas('marketplace_clean_catalog', 500);
    expect(plan).toEqual({ size: 1600, productSide: 1360, scale: 1360 / 500 });
    expect(planCanvas('marketplace_clean_catalog', 1600).size).toBe(1883);
  });
});

describe('upscale refusal', () => {
  it('allows enlargement up to the limit and explains anything beyond it', () => {
    expect(upscaleRefusal('single_product_white_background', 250, 4)).toBeNull(); // 850 / 250 = 3.4×
    expect(upscaleRefusal('marketplace_clean_catalog', 128, 4)).toBe(
      'the product is only 128 px on its longer side in this photo; the 1600 px catalog image would enlarge it ' +
        '10.6×, more than the 4× allowed (send a larger photo)',
    );
    expect(upscaleRefusal('marketplace_clean_catalog', 128, 12)).toBeNull();
  });
});
