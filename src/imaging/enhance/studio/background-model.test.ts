import { describe, expect, it } from 'vitest';
import { fitBackgroundModel } from './background-model.ts';
import type { LabImage } from './lab-image.ts';

const W = 160;
const H = 120;

/** Lab planes of a backdrop `l(x, y)` (neutral), with an optional product rectangle. */
function planes(l: (x: number, y: number) => number, product?: [number, number, number, number]): LabImage {
  const lab = {
    width: W,
    height: H,
    l: new Float32Array(W * H),
    a: new Float32Array(W * H),
    b: new Float32Array(W * H),
  };
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      const inside = product && x >= product[0] && y >= product[1] && x < product[2] && y < product[3];
      lab.l[p] = inside ? 30 : l(x, y);
      lab.a[p] = inside ? 40 : 0;
    }
  }
  return lab;
}

const vignette = (x: number, y: number): number => {
  const u = (x / (W - 1)) * 2 - 1;
  const v = (y / (H - 1)) * 2 - 1;
  return 92 - 8 * (u * u + v * v) - 4 * v;
};

describe('backdrop model', () => {
  it('fits a vignette with a gradient from the frame and predicts it behind the product', () => {
    const model = fitBackgroundModel(planes(vignette, [50, 30, 110, 90]));
    expect(model.kind).toBe('smooth');
    expect(model.noise).toBeLessThan(0.1);
    expect(model.expected.l[60 * W + 80]).toBeCloseTo(vignette(80, 60), 0);
    expect(model.distance[5 * W + 5]).toBeLessThan(0.5); // backdrop
    expect(model.distance[60 * W + 80]).toBeGreaterThan(40); // product
    expect(model.frameInliers).toBe(1);
  });

  it('leaves a product touching the frame out of the fit', () => {
    const model = fitBackgroundModel(planes(vignette, [100, 40, W, H]));
    expect(model.noise).toBeLessThan(0.1);
    expect(model.frameInliers).toBeLessThan(0.85);
    expect(model.frameInliers).toBeGreaterThan(0.6);
    expect(model.distance[H * W - 1]).toBeGreaterThan(40);
  });

  it('models a two-tone mottled backdrop with colour clusters', () => {
    const mottled = (x: number, y: number): number => ((Math.floor(x / 6) + Math.floor(y / 6)) % 2 ? 88 : 76);
    const model = fitBackgroundModel(planes(mottled, [50, 30, 110, 90]));
    expect(model.kind).toBe('clustered');
    expect(model.noise).toBeLessThan(1);
    expect(model.distance[60 * W + 80]).toBeGreaterThan(40);
  });
});
