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
  });
}
