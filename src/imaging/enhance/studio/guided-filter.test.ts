import { describe, expect, it } from 'vitest';
import { boxMean, guidedFilter } from './guided-filter.ts';

describe('box mean', () => {
  it('equals a brute-force window mean, clamped at the edges', () => {
    const width = 9;
    const height = 7;
    const src = Float32Array.from({ length: width * height }, (_, i) => (i * 37) % 11);
    const r = 2;
    const fast = boxMean(src, width, height, r);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        let count = 0;
        for (let yy = Math.max(0, y - r); yy <= Math.min(height - 1, y + r); yy++) {
          for (let xx = Math.max(0, x - r); xx <= Math.min(width - 1, x + r); xx++) {
            sum += src[yy * width + xx]!;
            count++;
          }
        }
        expect(fast[y * width + x]).toBeCloseTo(sum / count, 4);
      }
    }
  });
});

describe('guided filter', () => {
  it('moves a coarse mask edge onto the edge of the guide', () => {
    const width = 40;
    const height = 10;
    const guide = new Float32Array(width * height);
    const coarse = new Float32Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        guide[y * width + x] = x >= 20 ? 0.9 : 0.1; // the photo's edge at x = 20
        coarse[y * width + x] = x >= 23 ? 1 : 0; // the working-size mask, 3 px off
      }
    }
    const out = guidedFilter(guide, coarse, width, height, 5, 1e-3);
    const row = Array.from(out.subarray(5 * width, 6 * width));
    const jumps = row.slice(1).map((v, x) => v - row[x]!);
    // The mask's largest step is now where the photo's edge is (between x = 19 and 20), not at x = 23.
    expect(jumps.indexOf(Math.max(...jumps)) + 1).toBe(20);
    expect(row[19]).toBeLessThan(0.05);
    expect(row[20]).toBeGreaterThan(0.3);
    expect(row[30]).toBeGreaterThan(0.9);
  });
});
