import { describe, expect, it } from 'vitest';
import type { BackgroundModel } from './background-model.ts';
import {
  buildTrimap,
  erode,
  foregroundThreshold,
  PROBABLE_BACKGROUND,
  PROBABLE_FOREGROUND,
  SURE_BACKGROUND,
  SURE_FOREGROUND,
} from './trimap.ts';

const W = 40;
const H = 30;

function model(distanceAt: (x: number, y: number) => number): BackgroundModel {
  const distance = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) distance[y * W + x] = distanceAt(x, y);
  const planes = {
    width: W,
    height: H,
    l: new Float32Array(W * H),
    a: new Float32Array(W * H),
    b: new Float32Array(W * H),
  };
  return { kind: 'smooth', expected: planes, distance, noise: 0.5, frame: 2, frameInliers: 1 };
}

describe('trimap', () => {
  it('threshold is 5 noise levels, at least 4 ΔE', () => {
    expect(foregroundThreshold(0.2)).toBe(4);
    expect(foregroundThreshold(2)).toBe(10);
  });

  it('labels frame, product core, product rim and the rest', () => {
    // A product of ΔE 30 in x 10…29, y 8…21, with a 1 px rim of ΔE 6.
    const m = model((x, y) => {
      if (x >= 10 && x < 30 && y >= 8 && y < 22) return 30;
      if (x >= 9 && x < 31 && y >= 7 && y < 23) return 6;
      return 1;
    });
    const shadow = new Uint8Array(W * H);
    shadow[25 * W + 20] = 1;
    const trimap = buildTrimap(m, shadow);
    expect(trimap[0]).toBe(SURE_BACKGROUND);
    expect(trimap[5 * W + 5]).toBe(PROBABLE_BACKGROUND);
    expect(trimap[15 * W + 20]).toBe(SURE_FOREGROUND);
    expect(trimap[8 * W + 10]).toBe(PROBABLE_FOREGROUND); // the product's own edge is not eroded-core
    expect(trimap[7 * W + 20]).toBe(PROBABLE_FOREGROUND); // the rim
    expect(trimap[25 * W + 20]).toBe(SURE_BACKGROUND); // the shadow
  });

  it('keeps a product that reaches the frame uncertain there, not sure background', () => {
    const m = model((x) => (x >= 30 ? 30 : 1));
    const trimap = buildTrimap(m, null);
    expect(trimap[15 * W + W - 1]).not.toBe(SURE_BACKGROUND);
  });

  it('erodes by a square', () => {
    const mask = new Uint8Array(W * H);
    for (let y = 5; y < 15; y++) for (let x = 5; x < 15; x++) mask[y * W + x] = 1;
    const eroded = erode(mask, W, H, 2);
    expect(eroded.reduce((s, v) => s + v, 0)).toBe(36);
    expect(eroded[7 * W + 7]).toBe(1);
    expect(eroded[6 * W + 7]).toBe(0);
  });
});
