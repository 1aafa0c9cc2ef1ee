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

/** Activates a key waiting for its owner's approval; false when it is not waiting (any more). */
export async function approveKey(deps: { store: Store }, keyId: string): Promise<boolean> {
  const result = await deps.store.db
    .updateTable('api_keys')
    .set({ status: 'active' })
    .where('id', '=', keyId)
    .where('status', '=', 'pending_approval')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
