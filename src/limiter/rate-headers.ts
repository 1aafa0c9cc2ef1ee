import type { RateDecision, RateRule } from './limiter.ts';

/**
 * `X-RateLimit-*` headers of docs/api.md §0, sent on every response of a rate-limited route.
 *
 * `X-RateLimit-Reset` (Unix seconds) says when the caller's wait is over. With `Remaining` at 0 — a 429, or the
 * last admitted request — it is the moment the next request is admitted: on a 429 exactly where `Retry-After`
 * points (not when the whole allowance is back, which with GCRA is up to a full period later). With requests
 * left, it is when the allowance is whole again. Without the `rule`, an admitted request's Reset is always the
 * latter.
 */
export function rateHeaders(
  d: RateDecision,
  rule?: RateRule,
  now: number = Date.now(),
): Record<string, string> {
  return {
    'x-ratelimit-limit': String(d.limit),
    'x-ratelimit-remaining': String(d.remaining),
    'x-ratelimit-reset': String(resetOf(d, rule, now)),
  };
}

function resetOf(d: RateDecision, rule: RateRule | undefined, now: number): number {
  if (!d.allowed) return Math.ceil(now / 1000 + d.retryAfter);
  if (d.remaining > 0 || !rule) return d.resetAt;
  // `resetAt` is when the allowance is whole again; one request is admitted a period less one interval earlier.
  const interval = rule.periodMs / rule.limit;
  return Math.max(Math.ceil(now / 1000), Math.ceil((d.resetAt * 1000 - rule.periodMs + interval) / 1000));
}
