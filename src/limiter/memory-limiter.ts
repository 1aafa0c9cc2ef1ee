import { gcra, type RateLimiter } from './limiter.ts';

/** In-process limiter for the embedded profile: exact within one process, forgotten on restart. */
export function createMemoryLimiter(): RateLimiter {
  const tats = new Map<string, number>();
  let lastSweep = Date.now();
  return {
    async hit(key, rule, now = Date.now()) {
      const { decision, newTat } = gcra(tats.get(key), rule, now);
      if (newTat !== undefined) tats.set(key, newTat);
      // Entries whose arrival time has passed carry no state; drop them now and then so the map stays bounded.
      if (now - lastSweep > 60_000) {
        lastSweep = now;
        for (const [k, tat] of tats) if (tat <= now) tats.delete(k);
      }
      return decision;
    },
    async close() {
      tats.clear();
    },
  };
}
