import type { RateLimiter } from '../limiter/limiter.ts';

/**
 * The limits of the system by the key prefix their callers use, as the `limit` label of
 * `lightbox_rate_limit_refusals_total`; a key with no known prefix counts as `other`, so no key (an IP, an email,
 * a key id) ever becomes a label.
 */
const LIMITS: readonly [prefix: string, limit: string][] = [
  ['enh:create:', 'enhancement_creates'],
  ['enh:read:', 'enhancement_reads'],
  ['src-miss:', 'uncached_renditions'],
  ['keys:ip:', 'keys_per_ip'],
  ['keys:email:', 'keys_per_email'],
  ['anon:h:', 'anonymous_uploads_hourly'],
  ['anon:d:', 'anonymous_uploads_daily'],
  ['signin:ip:', 'sign_in_per_ip'],
  ['signin:email:', 'sign_in_per_email'],
  ['dashkeys:h:', 'dashboard_key_creates_hourly'],
  ['dashkeys:d:', 'dashboard_key_creates_daily'],
  ['dash:redeliver:', 'dashboard_redeliveries'],
  ['opsignin:ip:', 'operator_sign_in_per_ip'],
];

export function limitOf(key: string): string {
  return LIMITS.find(([prefix]) => key.startsWith(prefix))?.[1] ?? 'other';
}

/** The limiter, reporting every refusal by limit; decisions and failures pass through unchanged. */
export function countRefusals(limiter: RateLimiter, refused: (limit: string) => void): RateLimiter {
  return {
    async hit(key, rule, now) {
      const decision = await limiter.hit(key, rule, now);
      if (!decision.allowed) refused(limitOf(key));
      return decision;
    },
    close: () => limiter.close(),
  };
}
