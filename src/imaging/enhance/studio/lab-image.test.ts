import { describe, expect, it } from 'vitest';
import { deltaE, edgeStrength, rgbToLab } from './lab-image.ts';

describe('Lab conversion', () => {
  it('maps white, black and a mid grey to their lightness with no colour', () => {
    const lab = rgbToLab(Uint8Array.from([255, 255, 255, 0, 0, 0, 119, 119, 119]), 3, 1);
    expect(lab.l[0]).toBeCloseTo(100, 0);
    expect(lab.l[1]).toBeCloseTo(0, 5);
    expect(lab.l[2]).toBeCloseTo(50, 0);
    for (let p = 0; p < 3; p++) {
      expect(Math.abs(lab.a[p]!)).toBeLessThan(0.05);
      expect(Math.abs(lab.b[p]!)).toBeLessThan(0.05);
    }
  });

  it('gives red a positive a* and blue a negative b*', () => {
    const lab = rgbToLab(Uint8Array.from([255, 0, 0, 0, 0, 255]), 2, 1);
    expect(lab.a[0]).toBeGreaterThan(70);
    expect(lab.b[1]).toBeLessThan(-100);
    expect(deltaE(lab, 0, 1)).toBeGreaterThan(150);
  });

  it('finds edge strength on a step and none on a flat area', () => {
    const width = 8;
    const rgb = new Uint8Array(width * 3 * 3);
    for (let y = 0; y < 3; y++)
      for (let x = 4; x < width; x++) rgb.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
    const edges = edgeStrength(rgbToLab(rgb, width, 3));
    expect(edges[width + 1]).toBe(0);
    expect(edges[width + 3]).toBeCloseTo(100, 0);
    expect(edges[width + 4]).toBeCloseTo(100, 0);
    expect(edges[width + 6]).toBe(0);
  });
});
