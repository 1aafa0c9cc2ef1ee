import { describe, expect, it } from 'vitest';
import { inSlices } from './pixel-slices.ts';

describe('inSlices', () => {
  it('visits every index once, in order, and lets the event loop run between slices', async () => {
    const count = 600_000;
    const seen = new Uint8Array(count);
    const slices: Array<[number, number]> = [];
    let turns = 0;
    const tick = (): void => {
      turns++;
      if (turns < 100) setImmediate(tick);
    };
    setImmediate(tick);
    await inSlices(count, (start, end) => {
      slices.push([start, end]);
      for (let p = start; p < end; p++) seen[p]!++;
    });
    expect(seen.every((v) => v === 1)).toBe(true);
    expect(slices.length).toBeGreaterThan(1);
    expect(slices.at(-1)![1]).toBe(count);
    // Other callbacks ran while the loop was in progress, not only after it.
    expect(turns).toBeGreaterThanOrEqual(slices.length - 1);
  });

  it('stops and rejects with what the body throws', async () => {
    let calls = 0;
    const failure = new Error('not a mask');
    await expect(
      inSlices(1_000_000, () => {
        calls++;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(calls).toBe(1);
  });

  it('does nothing for no pixels', async () => {
    let calls = 0;
    await inSlices(0, () => calls++);
    expect(calls).toBe(0);
  });
});
