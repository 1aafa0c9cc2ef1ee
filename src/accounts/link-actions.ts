import type { Store } from '../store/store.ts';
import { markEmailVerified } from './accounts-store.ts';

/** Runs after an account's email becomes verified (e.g. lifting unverified-upload retention). */
export type VerificationHook = (accountId: string) => Promise<void>;

export async function verifyEmail(
  deps: { store: Store; onEmailVerified?: VerificationHook[] },
  accountId: string,
): Promise<void> {
  await markEmailVerified(deps.store.db, accountId);
  // Idempotent hooks run on every click, so a crash between the update and a hook is repaired by clicking again.
  for (const hook of deps.onEmailVerified ?? []) await hook(accountId);
}

/**
 * Activates a key waiting for its owner's approval; false when it is not waiting (any more). Only the confirmation
 * form (POST) calls it: opening the mailed link (GET) must never activate a key, since mail scanners open links.
 */
export async function approveKey(deps: { store: Store }, keyId: string): Promise<boolean> {
  const result = await deps.store.db
    .updateTable('api_keys')
    .set({ status: 'active' })
    .where('id', '=', keyId)
    .where('status', '=', 'pending_approval')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface KeyForApproval {
  id: string;
  name: string;
  environment: 'live' | 'test';
  status: 'active' | 'inactive' | 'pending_approval' | 'revoked';
  hint: string;
  created_at: number;
  account_email: string;
}

/** What an approval page shows about the key it would activate (read only); undefined when it was deleted. */
export async function keyForApproval(
  deps: { store: Store },
  keyId: string,
): Promise<KeyForApproval | undefined> {
  return deps.store.db
    .selectFrom('api_keys')
    .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
    .select([
      'api_keys.id',
      'api_keys.name',
      'api_keys.environment',
      'api_keys.status',
      'api_keys.hint',
      'api_keys.created_at',
      'accounts.email as account_email',
    ])
    .where('api_keys.id', '=', keyId)
    .executeTakeFirst();
}
