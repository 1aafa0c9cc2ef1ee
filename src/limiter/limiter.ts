/** `limit` requests per `periodMs`, bursts up to `limit` allowed (GCRA). */
export interface RateRule {
  limit: number;
  periodMs: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds at which the bucket is full again. */
  resetAt: number;
  /** Seconds until the next request would be allowed (0 when allowed). */
  retryAfter: number;
}

/**
 * The rate limiter port. Backends must be atomic per key and fail loudly (throw) when they cannot decide:
 * callers fail closed on a thrown error, never open.
 */
export interface RateLimiter {
  hit(key: string, rule: RateRule, now?: number): Promise<RateDecision>;
  close(): Promise<void>;
}

export class LimiterUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('rate limiter unavailable', { cause });
    this.name = 'LimiterUnavailableError';
  }
}

/** GCRA on a theoretical arrival time; shared by every backend so they agree to the millisecond. */
export function gcra(
  storedTat: number | undefined,
  rule: RateRule,
  now: number,
): { decision: RateDecision; newTat: number | undefined } {
  const interval = rule.periodMs / rule.limit;
  const tat = Math.max(storedTat ?? now, now);
  const newTat = tat + interval;
  const allowAt = newTat - rule.periodMs;
  if (now < allowAt) {
    return {
      newTat: undefined,
      decision: {
        allowed: false,
        limit: rule.limit,
        remaining: 0,
        resetAt: Math.ceil(tat / 1000),
        retryAfter: Math.max(1, Math.ceil((allowAt - now) / 1000)),
      },
    };
  }
  return {
    newTat,
    decision: {
      allowed: true,
      limit: rule.limit,
      remaining: Math.max(0, Math.floor((rule.periodMs - (newTat - now)) / interval)),
      resetAt: Math.ceil(newTat / 1000),
      retryAfter: 0,
    },
  };
}
