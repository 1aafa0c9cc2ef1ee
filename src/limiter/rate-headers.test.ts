import { describe, expect, it } from 'vitest';
import { gcra, type RateRule } from './limiter.ts';
import { rateHeaders } from './rate-headers.ts';

const HOUR = 3_600_000;
const rule: RateRule = { limit: 20, periodMs: HOUR };
const T0 = 1_700_000_000_000;

/** Hits the rule `n` times at `now`, returning the decisions. */
function hits(n: number, now: number, start?: number) {
  let tat = start;
  const decisions = [];
  for (let i = 0; i < n; i++) {
    const { decision, newTat } = gcra(tat, rule, now);
    if (newTat !== undefined) tat = newTat;
    decisions.push(decision);
  }
  return decisions;
}

describe('rateHeaders', () => {
  it('on a refusal, Reset is the moment Retry-After points to, not when the allowance is whole again', () => {
    const refused = hits(21, T0).at(-1);
    if (!refused) throw new Error('no decision');
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfter).toBe(180);
    const headers = rateHeaders(refused, rule, T0);
    expect(Number(headers['x-ratelimit-reset'])).toBe(T0 / 1000 + 180);
    expect(headers['x-ratelimit-remaining']).toBe('0');
    // The old value: an hour away.
    expect(refused.resetAt).toBe(T0 / 1000 + 3600);
  });

  it('the last admitted request (Remaining 0) says the same moment as the 429 after it', () => {
    const decisions = hits(21, T0);
    const last = decisions[19];
    const refused = decisions[20];
    if (!last || !refused) throw new Error('no decision');
    expect(last.allowed && last.remaining === 0).toBe(true);
    expect(rateHeaders(last, rule, T0)['x-ratelimit-reset']).toBe(
      rateHeaders(refused, rule, T0)['x-ratelimit-reset'],
    );
  });

  it('with requests left, Reset is when the allowance is whole again', () => {
    const first = hits(1, T0)[0];
    if (!first) throw new Error('no decision');
    expect(rateHeaders(first, rule, T0)).toEqual({
      'x-ratelimit-limit': '20',
      'x-ratelimit-remaining': '19',
      'x-ratelimit-reset': String(T0 / 1000 + 180),
    });
  });

  it('without the rule an admitted request keeps the allowance-whole moment', () => {
    const last = hits(20, T0)[19];
    if (!last) throw new Error('no decision');
    expect(rateHeaders(last, undefined, T0)['x-ratelimit-reset']).toBe(String(last.resetAt));
  });

  it('never points before the decision time (rounded up to the second)', () => {
    const now = T0 + 300;
    const refused = hits(21, now).at(-1);
    if (!refused) throw new Error('no decision');
    const reset = Number(rateHeaders(refused, rule, now)['x-ratelimit-reset']);
    expect(reset * 1000).toBeGreaterThanOrEqual(now + refused.retryAfter * 1000);
    expect(reset * 1000 - (now + refused.retryAfter * 1000)).toBeLessThan(1000);
  });
});
