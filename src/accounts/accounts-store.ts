import { randomBase36 } from '../lib/ids.ts';
import type { AccountsTable, ApiKeysTable } from '../store/database.ts';
import type { Db, Tx } from '../store/store.ts';
import { type Environment, hashApiKey, keyHint, mintApiKey } from './api-key-format.ts';

export type Account = AccountsTable;
export type ApiKeyRow = ApiKeysTable;

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/** Inserts the account unless the email exists; returns it and whether this call created it (race-safe). */
export async function ensureAccount(
  tx: Tx,
  input: { email: string; plan: string; emailVerified?: boolean },
): Promise<{ account: Account; created: boolean }> {
  const now = Date.now();
  const inserted = await tx
    .insertInto('accounts')
    .values({
      id: `acc_${randomBase36(16)}`,
      email: normaliseEmail(input.email),
      email_verified: input.emailVerified ? 1 : 0,
      plan: input.plan,
      registration_policy: 'approval',
      suspended: 0,
      payment_risk: 0,
      paid_available: 0,
      paid_reserved: 0,
      lifetime_purchased: 0,
      promotional: 0,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('email').doNothing())
    .returning('id')
    .executeTakeFirst();
  const account = await tx
    .selectFrom('accounts')
    .selectAll()
    .where('email', '=', normaliseEmail(input.email))
    .executeTakeFirstOrThrow();
  return { account, created: inserted !== undefined };
}

export async function findAccount(db: Db, id: string): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countActiveKeys(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .where('status', 'in', ['active', 'pending_approval'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Mints a key and stores only its hash. The returned `key` must be shown once and then forgotten. */
export async function insertKey(
  db: Db,
  input: {
    prefix: string;
    accountId: string;
    environment: Environment;
    name: string;
    status: ApiKeyRow['status'];
    expiresAt?: number | null;
  },
): Promise<{ key: string; row: ApiKeyRow }> {
  const key = mintApiKey(input.prefix, input.environment);
  const row: ApiKeyRow = {
    id: `key_${randomBase36(16)}`,
    account_id: input.accountId,
    name: input.name,
    environment: input.environment,
    status: input.status,
    key_hash: hashApiKey(key),
    hint: keyHint(key),
    expires_at: input.expiresAt ?? null,
    last_used_at: null,
    created_at: Date.now(),
  };
  await db.insertInto('api_keys').values(row).execute();
  return { key, row };
}

/** Marks the email verified. Returns true when this call changed it. */
export async function markEmailVerified(db: Db, accountId: string): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set({ email_verified: 1, updated_at: Date.now() })
    .where('id', '=', accountId)
    .where('email_verified', '=', 0)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
