import { describe, expect, it } from 'vitest';
import { selectForeground } from './foreground-selection.ts';
import type { AlphaMask } from './pixel-buffers.ts';

function mask(
  width: number,
  height: number,
  rects: Array<[number, number, number, number, number?]>,
): AlphaMask {
  const data = new Uint8Array(width * height);
  for (const [left, top, w, h, value = 255] of rects) {
    for (let y = top; y < top + h; y++) data.fill(value, y * width + left, y * width + left + w);
  }
  return { width, height, data };
}

describe('selectForeground', () => {
  const scene = mask(200, 100, [
    [10, 10, 60, 80], // main object: 4800 px
    [120, 30, 40, 40], // second object: 1600 px (33 %)
    [180, 5, 5, 5], // speck: 25 px (0.5 %)
  ]);

  it('keeps the main object only and counts the significant ones dropped', () => {
    const selection = selectForeground(scene, 'main')!;
    expect(selection.box).toEqual({ left: 10, top: 10, width: 60, height: 80 });
    expect([selection.kept, selection.dropped, selection.keptArea]).toEqual([1, 1, 4800]);
    expect(selection.alpha[50 * 200 + 130]).toBe(0);
    expect(selection.alpha[50 * 200 + 30]).toBe(255);
  });

  it('keeps every significant object for a group, not the specks', () => {
    const selection = selectForeground(scene, 'all')!;
    expect(selection.box).toEqual({ left: 10, top: 10, width: 150, height: 80 });
    expect([selection.kept, selection.dropped]).toEqual([2, 0]);
    expect(selection.alpha[7 * 200 + 182]).toBe(0);
  });

  it('joins diagonal neighbours into one object (8-connected)', () => {
    const diagonal = mask(20, 20, [
      [2, 2, 4, 4],
      [6, 6, 4, 4],
    ]);
    const selection = selectForeground(diagonal, 'main')!;
    expect([selection.kept, selection.dropped, selection.keptArea]).toEqual([1, 0, 32]);
  });

  it('keeps soft edges next to the kept object and clears haze elsewhere', () => {
    const soft = mask(100, 50, [
      [20, 10, 20, 20],
      [18, 10, 2, 20, 100], // soft edge touching the object
      [70, 10, 20, 20, 60], // haze below the object threshold, far away
    ]);
    const selection = selectForeground(soft, 'main')!;
    expect(selection.alpha[15 * 100 + 18]).toBe(100);
    expect(selection.alpha[15 * 100 + 75]).toBe(0);
    expect(selection.box).toEqual({ left: 20, top: 10, width: 20, height: 20 });
  });

  it('reports an object touching the image edge, and null for an empty mask', () => {
    expect(selectForeground(mask(50, 50, [[0, 10, 10, 10]]), 'main')!.touchesEdge).toBe(true);
    expect(selectForeground(mask(50, 50, [[5, 10, 10, 10]]), 'main')!.touchesEdge).toBe(false);
    expect(selectForeground(mask(50, 50, [[5, 10, 10, 10, 127]]), 'main')).toBeNull();
  });
});
