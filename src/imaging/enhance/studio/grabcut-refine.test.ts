import { beforeAll, describe, expect, it } from 'vitest';
import { fillHoles, grabCutRefine } from './grabcut-refine.ts';
import { loadOpenCv, type OpenCv } from './opencv.ts';
import { PROBABLE_BACKGROUND, PROBABLE_FOREGROUND, SURE_BACKGROUND } from './trimap.ts';

const W = 120;
const H = 90;
let cv: OpenCv;
beforeAll(async () => {
  cv = await loadOpenCv();
});

describe('GrabCut refinement', () => {
  it('settles a generous probable-foreground box onto the product', () => {
    const rgb = new Uint8Array(W * H * 3).fill(225);
    for (let y = 30; y < 70; y++) {
      for (let x = 40; x < 80; x++) rgb.set([150, 40, 40], (y * W + x) * 3);
    }
    const trimap = new Uint8Array(W * H).fill(PROBABLE_BACKGROUND);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (x < 4 || y < 4 || x >= W - 4 || y >= H - 4) trimap[y * W + x] = SURE_BACKGROUND;
        else if (x >= 30 && x < 90 && y >= 20 && y < 80) trimap[y * W + x] = PROBABLE_FOREGROUND;
      }
    }
    const cut = grabCutRefine(cv, rgb, W, H, trimap);
    let wrong = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const product = x >= 40 && x < 80 && y >= 30 && y < 70 ? 1 : 0;
        if (cut[y * W + x] !== product) wrong++;
      }
    }
    expect(wrong).toBeLessThan(40); // of 1600 product pixels and a 2000-pixel margin of doubt
  });

  it('returns an empty cut when nothing may be foreground', () => {
    const cut = grabCutRefine(
      cv,
      new Uint8Array(W * H * 3),
      W,
      H,
      new Uint8Array(W * H).fill(PROBABLE_BACKGROUND),
    );
    expect(cut.every((v) => v === 0)).toBe(true);
  });

  it('fills backdrop enclosed by the product, not backdrop open to the frame', () => {
    const mask = new Uint8Array(10 * 10);
    for (let y = 2; y < 8; y++) for (let x = 2; x < 8; x++) mask[y * 10 + x] = 1;
    mask[5 * 10 + 5] = 0; // an enclosed hole
    mask[2 * 10 + 4] = 0; // a notch open to the outside
    const filled = fillHoles(mask, 10, 10);
    expect(filled[5 * 10 + 5]).toBe(1);
    expect(filled[2 * 10 + 4]).toBe(0);
    expect(filled[0]).toBe(0);
  });
});
