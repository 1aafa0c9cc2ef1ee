import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimiter } from './limiter.ts';

/** The behaviour every limiter backend must show. */
export function limiterContract(name: string, open: () => Promise<RateLimiter>): void {
  describe(`rate limiter contract: ${name}`, () => {
    let limiter: RateLimiter;
    beforeAll(async () => {
      limiter = await open();
    });
    afterAll(async () => {
      await limiter.close();
    });
    const rule = { limit: 5, periodMs: 3_600_000 };

    it('allows a burst of `limit`, then refuses with a retry time', async () => {
      const key = `k-${randomUUID()}`;
      const now = 1_700_000_000_000;
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        const d = await limiter.hit(key, rule, now);
        expect(d.allowed).toBe(true);
        remaining.push(d.remaining);
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      const denied = await limiter.hit(key, rule, now);
      expect(denied).toMatchObject({ allowed: false, remaining: 0, limit: 5 });
      expect(denied.retryAfter).toBe(720);
    });

    it('lets one more request through after one emission interval', async () => {
      const key = `k-${randomUUID()}`;
      const now = 1_700_000_000_000;
      for (let i = 0; i < 5; i++) await limiter.hit(key, rule, now);
      expect((await limiter.hit(key, rule, now + 719_000)).allowed).toBe(false);
      expect((await limiter.hit(key, rule, now + 720_000)).allowed).toBe(true);
      expect((await limiter.hit(key, rule, now + 720_000)).allowed).toBe(false);
    });

    it('keeps keys independent', async () => {
      const a = `a-${randomUUID()}`;
      const b = `b-${randomUUID()}`;
      const now = 1_700_000_000_000;
      for (let i = 0; i < 5; i++) await limiter.hit(a, rule, now);
      expect((await limiter.hit(a, rule, now)).allowed).toBe(false);
      expect((await limiter.hit(b, rule, now)).allowed).toBe(true);
    });

    it('is atomic under concurrent hits: exactly `limit` pass', async () => {
      const key = `c-${randomUUID()}`;
      const now = 1_700_000_000_000;
      const results = await Promise.all(Array.from({ length: 20 }, () => limiter.hit(key, rule, now)));
      expect(results.filter((r) => r.allowed)).toHaveLength(5);
    });

    it('follows the shared GCRA arithmetic to the millisecond, fractional emission intervals included', async () => {
      // 3 per second: the interval (333.33… ms) is not a whole number, so rounding in storage would show here.
      const fractional = { limit: 3, periodMs: 1_000 };
      const key = `f-${randomUUID()}`;
      const base = 1_700_000_000_000;
      const allowedAt = (resetAt: number, remaining: number) => ({
        allowed: true,
        remaining,
        resetAt,
        retryAfter: 0,
      });
      const refusedAt = (resetAt: number) => ({ allowed: false, remaining: 0, resetAt, retryAfter: 1 });
      const expected: [number, ReturnType<typeof allowedAt>][] = [
        [0, allowedAt(1_700_000_001, 2)],
        [0, allowedAt(1_700_000_001, 1)],
        [0, allowedAt(1_700_000_001, 0)],
        [0, refusedAt(1_700_000_001)],
        [333, refusedAt(1_700_000_001)],
        [334, allowedAt(1_700_000_002, 0)],
        [666, refusedAt(1_700_000_002)],
        [667, allowedAt(1_700_000_002, 0)],
        [2_000, allowedAt(1_700_000_003, 2)],
        [2_000, allowedAt(1_700_000_003, 1)],
        [2_000, allowedAt(1_700_000_003, 0)],
        [2_000, refusedAt(1_700_000_003)],
      ];
      for (const [offset, decision] of expected) {
        expect(await limiter.hit(key, fractional, base + offset)).toEqual({ ...decision, limit: 3 });
      }
    });
  });
}
