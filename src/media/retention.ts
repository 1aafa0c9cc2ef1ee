import type { Actor } from '../accounts/authenticate.ts';
import type { Config } from '../config/config.ts';
import { DAY_MS } from '../lib/time.ts';
import type { MediaRow } from './media-repo.ts';

type RetentionConfig = Pick<Config, 'anonRetentionDays' | 'unverifiedRetentionDays'>;

/**
 * When media expires (docs/api.md §2.2), at upload and on PATCH alike: an explicit ttl (from `now`) always counts;
 * anonymous media and media of unverified accounts also expire at their retention — counted from the media's
 * creation, so a PATCHed ttl can shorten it but never extend it — whichever comes first. Without a ttl, verified
 * accounts' media is permanent. The reason is kept so that verification lifts exactly the expiries it caused.
 */
function expiryOf(
  config: RetentionConfig,
  principal: Actor | undefined,
  ttlSeconds: number | undefined,
  now: number,
  createdAt: number = now,
): Pick<MediaRow, 'expires_at' | 'expiry_reason'> {
  const ttlAt = ttlSeconds === undefined ? undefined : now + ttlSeconds * 1000;
  const retention = !principal
    ? { days: config.anonRetentionDays, reason: 'anonymous' as const }
    : !principal.account.email_verified
      ? { days: config.unverifiedRetentionDays, reason: 'unverified' as const }
      : undefined;
  if (!retention)
    return ttlAt === undefined
      ? { expires_at: null, expiry_reason: null }
      : { expires_at: ttlAt, expiry_reason: 'ttl' };
  const retentionAt = createdAt + retention.days * DAY_MS;
  if (ttlAt !== undefined && ttlAt < retentionAt) return { expires_at: ttlAt, expiry_reason: 'ttl' };
  return { expires_at: retentionAt, expiry_reason: retention.reason };
}

/** Expiry of new media. */
export function initialExpiry(
  config: RetentionConfig,
  principal: Actor | undefined,
  ttlSeconds: number | undefined,
  now: number,
): Pick<MediaRow, 'expires_at' | 'expiry_reason'> {
  return expiryOf(config, principal, ttlSeconds, now);
}

/**
 * PATCH `ttl`: a number sets an explicit expiry from now, capped by the retention exactly as at upload; null
 * removes the ttl (permanent where the account allows, else back to the retention from creation).
 */
export function patchedExpiry(
  config: RetentionConfig,
  principal: Actor,
  media: Pick<MediaRow, 'created_at'>,
  ttl: number | null,
  now: number,
): Pick<MediaRow, 'expires_at' | 'expiry_reason'> {
  return expiryOf(config, principal, ttl ?? undefined, now, Number(media.created_at));
}
