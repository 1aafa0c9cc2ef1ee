import type { RateDecision } from './limiter.ts';

/** `X-RateLimit-*` headers of API.md §0, sent on every response of a rate-limited route. */
export function rateHeaders(d: RateDecision): Record<string, string> {
  return {
    'x-ratelimit-limit': String(d.limit),
    'x-ratelimit-remaining': String(d.remaining),
    'x-ratelimit-reset': String(d.resetAt),
  };
}
