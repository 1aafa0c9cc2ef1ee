import type { Principal } from '../accounts/authenticate.ts';
import type { Config } from '../config/config.ts';
import { DAY_MS } from '../lib/time.ts';
import type { MediaRow } from './media-repo.ts';

type RetentionConfig = Pick<Config, 'anonRetentionDays' | 'unverifiedRetentionDays'>;

/**
 * When new media expires (API.md §2.2): an explicit ttl always counts; anonymous uploads and uploads of
 * unverified accounts expire after their retention unless the ttl is shorter. The reason is kept so that
 * verification lifts exactly the expiries it caused.
 */
export function initialExpiry(
  config: RetentionConfig,
  principal: Principal | undefined,
  ttlSeconds: number | undefined,
  now: number,
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
  const retentionAt = now + retention.days * DAY_MS;
  if (ttlAt !== undefined && ttlAt < retentionAt) return { expires_at: ttlAt, expiry_reason: 'ttl' };
  return { expires_at: retentionAt, expiry_reason: retention.reason };
}

/** PATCH `ttl`: a number sets an explicit expiry from now; null makes it permanent where the account allows. */
export function patchedExpiry(
  config: RetentionConfig,
  principal: Principal,
  media: Pick<MediaRow, 'created_at'>,
  ttl: number | null,
  now: number,
): Pick<MediaRow, 'expires_at' | 'expiry_reason'> {
  if (ttl !== null) return { expires_at: now + ttl * 1000, expiry_reason: 'ttl' };
  if (!principal.account.email_verified) {
    return {
      expires_at: Number(media.created_at) + config.unverifiedRetentionDays * DAY_MS,
      expiry_reason: 'unverified',
    };
  }
  return { expires_at: null, expiry_reason: null };
}
