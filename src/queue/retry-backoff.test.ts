import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './retry-backoff.ts';

describe('retryDelayMs', () => {
  const backoff = { baseMs: 1_000, capMs: 10_000 };

  it('doubles per attempt, with jitter in the upper half', () => {
    expect([1, 2, 3].map((a) => retryDelayMs(a, backoff, () => 0))).toEqual([500, 1_000, 2_000]);
    expect([1, 2, 3].map((a) => retryDelayMs(a, backoff, () => 1))).toEqual([1_000, 2_000, 4_000]);
  });

  it('never exceeds the cap', () => {
    expect(retryDelayMs(30, backoff, () => 1)).toBe(10_000);
    expect(retryDelayMs(30, backoff, () => 0)).toBe(5_000);
  });
});
