import { timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import type { Store } from '../store/store.ts';
import type { Account, ApiKeyRow } from './accounts-store.ts';
import { hashApiKey, parseApiKey } from './api-key-format.ts';

export interface Principal {
  account: Account;
  key: ApiKeyRow;
}

/**
 * Who acts on an account's resources, in one environment: an API key's principal, or the owner signed in to the
 * dashboard working in the environment they chose (no key then: only its environment). What needs the key itself
 * (an enhancement is signed with it, and counted per key) takes a `Principal`.
 */
export interface Actor {
  account: Account;
  key: Pick<ApiKeyRow, 'environment'>;
}

/** Don't write `last_used_at` on every request: once a minute per key is precise enough and saves a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves a bearer key to its account, or throws the enhancement-family auth code (docs/api.md §1); hosting routes
 * render those codes as `unauthorized`/`forbidden`.
 */
export async function authenticate(
  store: Store,
  keyPrefix: string,
  authorization: string | undefined,
  options: { requireVerifiedForLive: boolean },
): Promise<Principal> {
  if (authorization === undefined || authorization.trim() === '') throw new AppError('missing_api_key');
  const match = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
  if (!match?.[1]) throw new AppError('invalid_api_key');
  const presented = match[1];
  // The checksum rejects typos and made-up keys without a database read.
  if (!parseApiKey(keyPrefix, presented)) throw new AppError('invalid_api_key');

  const hash = hashApiKey(presented);
  const key = await store.db
    .selectFrom('api_keys')
    .selectAll()
    .where('key_hash', '=', hash)
    .executeTakeFirst();
  // The index found the row by hash; compare in constant time anyway so no code path leaks timing on the secret.
  if (!key || !timingSafeEqual(Buffer.from(key.key_hash), Buffer.from(hash)))
    throw new AppError('invalid_api_key');

  const now = Date.now();
  if (key.status === 'revoked') throw new AppError('api_key_revoked');
  if (key.status === 'inactive' || key.status === 'pending_approval') throw new AppError('api_key_inactive');
  if (key.expires_at !== null && key.expires_at <= now) throw new AppError('api_key_expired');

  const account = await store.db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', key.account_id)
    .executeTakeFirstOrThrow();
  if (account.suspended) throw new AppError('account_suspended');
  if (account.payment_risk) throw new AppError('payment_risk_restricted');
  if (options.requireVerifiedForLive && key.environment === 'live' && !account.email_verified) {
    throw new AppError('email_not_verified');
  }

  if (key.last_used_at === null || now - key.last_used_at > LAST_USED_RESOLUTION_MS) {
    await store.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', key.id).execute();
    key.last_used_at = now;
  }
  return { account, key };
}
