import { beforeAll, describe, expect, it } from 'vitest';
import { maskSolidity } from './mask-solidity.ts';
import { loadOpenCv, type OpenCv } from './opencv.ts';

const W = 100;
const H = 80;
let cv: OpenCv;
beforeAll(async () => {
  cv = await loadOpenCv();
});

function mask(inside: (x: number, y: number) => boolean): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (inside(x, y)) m[y * W + x] = 1;
  return m;
}

describe('mask solidity', () => {
  it('is about 1 for a solid box, and stays so for two separate boxes (a group)', () => {
    expect(
      maskSolidity(
        cv,
        mask((x, y) => x >= 20 && x < 60 && y >= 20 && y < 60),
        W,
        H,
      ),
    ).toBeGreaterThan(0.95);
    const two = mask((x, y) => y >= 20 && y < 60 && ((x >= 5 && x < 35) || (x >= 65 && x < 95)));
    expect(maskSolidity(cv, two, W, H)).toBeGreaterThan(0.95);
  });

  it('is low for the L-shaped rim of a box', () => {
    const rim = mask(
      (x, y) => (y >= 10 && y < 14 && x >= 20 && x < 80) || (x >= 76 && x < 80 && y >= 10 && y < 75),
    );
    expect(maskSolidity(cv, rim, W, H)).toBeLessThan(0.3);
  });

  it('ignores specks and is 0 for an empty mask', () => {
    const withSpeck = mask((x, y) => (x >= 20 && x < 60 && y >= 20 && y < 60) || (x === 90 && y === 5));
    expect(maskSolidity(cv, withSpeck, W, H)).toBeGreaterThan(0.95);
    expect(maskSolidity(cv, new Uint8Array(W * H), W, H)).toBe(0);
  });
});
