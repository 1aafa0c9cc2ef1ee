import { sql } from 'kysely';
import type { Config } from '../config/config.ts';
import { type CreditKind, grantCredits, listLedger } from '../credits/ledger.ts';
import { AppError } from '../errors/app-error.ts';
import { toIso } from '../lib/time.ts';
import type { AccountsTable } from '../store/database.ts';
import type { Store } from '../store/store.ts';
import { accountView, keyView } from './account-view.ts';
import { ensureAccount, findAccount, insertKey, normaliseEmail } from './accounts-store.ts';
import type { Environment } from './api-key-format.ts';
import { type VerificationHook, verifyEmail } from './link-actions.ts';

export interface OperatorDeps {
  config: Pick<Config, 'keyPrefix' | 'defaultPlan' | 'plans'>;
  store: Store;
  onEmailVerified?: VerificationHook[];
}

const notFound = (what: string) => new AppError('not_found', { message: `${what} not found.` });

function checkPlan(deps: OperatorDeps, plan: string | undefined): void {
  if (plan !== undefined && !deps.config.plans.some((p) => p.name === plan)) {
    throw new AppError('invalid_payload', {
      message: `Unknown plan "${plan}". Plans: ${deps.config.plans.map((p) => p.name).join(', ')}.`,
    });
  }
}

async function mustFindAccount(deps: OperatorDeps, id: string): Promise<AccountsTable> {
  const account = await findAccount(deps.store.db, id);
  if (!account) throw notFound('Account');
  return account;
}

/** The operator API (docs/api.md §4): accounts, credits, keys. */
export const operator = {
  async createAccount(deps: OperatorDeps, input: { email: string; plan?: string; email_verified?: boolean }) {
    checkPlan(deps, input.plan);
    const { account, created } = await deps.store.transaction((tx) =>
      ensureAccount(tx, {
        email: input.email,
        plan: input.plan ?? deps.config.defaultPlan,
        emailVerified: input.email_verified ?? false,
      }),
    );
    if (!created)
      throw new AppError('conflict', { message: `An account with email ${account.email} exists.` });
    return accountView(account);
  },

  /**
   * Accounts, newest first. `email` matches one address exactly (the API); `search` any part of it (the operator
   * pages), case-insensitively; `before` (an account id) continues the list after that account.
   */
  async listAccounts(
    deps: OperatorDeps,
    filter: { email?: string; search?: string; before?: string; limit: number },
  ) {
    let query = deps.store.db
      .selectFrom('accounts')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit);
    if (filter.email) query = query.where('email', '=', normaliseEmail(filter.email));
    const search = filter.search ? normaliseEmail(filter.search) : '';
    // Emails are stored lower-cased, so LIKE on the lower-cased text is case-insensitive on both dialects.
    if (search) query = query.where(sql<boolean>`email like ${`%${escapeLike(search)}%`} escape '\\'`);
    if (filter.before) {
      const after = await findAccount(deps.store.db, filter.before);
      if (after) {
        const at = Number(after.created_at);
        query = query.where((eb) =>
          eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', after.id)])]),
        );
      }
    }
    return { data: (await query.execute()).map(accountView) };
  },

  async getAccount(deps: OperatorDeps, id: string) {
    return accountView(await mustFindAccount(deps, id));
  },

  async updateAccount(
    deps: OperatorDeps,
    id: string,
    patch: {
      plan?: string;
      suspended?: boolean;
      payment_risk?: boolean;
      email_verified?: boolean;
      registration_policy?: AccountsTable['registration_policy'];
    },
  ) {
    checkPlan(deps, patch.plan);
    await mustFindAccount(deps, id);
    const set: Partial<AccountsTable> = { updated_at: Date.now() };
    if (patch.plan !== undefined) set.plan = patch.plan;
    if (patch.suspended !== undefined) set.suspended = patch.suspended ? 1 : 0;
    if (patch.payment_risk !== undefined) set.payment_risk = patch.payment_risk ? 1 : 0;
    if (patch.registration_policy !== undefined) set.registration_policy = patch.registration_policy;
    if (patch.email_verified === false) set.email_verified = 0;
    await deps.store.db.updateTable('accounts').set(set).where('id', '=', id).execute();
    // Verifying goes through the same path as the emailed link so its consequences (retention) follow.
    if (patch.email_verified === true) await verifyEmail(deps, id);
    return accountView(await mustFindAccount(deps, id));
  },

  async grant(deps: OperatorDeps, id: string, input: { amount: number; kind: CreditKind; note?: string }) {
    const entry = await deps.store.transaction((tx) =>
      grantCredits(tx, { accountId: id, amount: input.amount, kind: input.kind, note: input.note ?? null }),
    );
    if (!entry) throw notFound('Account');
    return { entry: ledgerEntryView(entry), account: accountView(await mustFindAccount(deps, id)) };
  },

  async ledger(deps: OperatorDeps, id: string, page: { limit: number; before?: string }) {
    await mustFindAccount(deps, id);
    return { data: (await listLedger(deps.store.db, id, page)).map(ledgerEntryView) };
  },

  async mintKey(
    deps: OperatorDeps,
    accountId: string,
    input: { name?: string; environment: Environment; expires_at?: string | null },
  ) {
    await mustFindAccount(deps, accountId);
    const { key, row } = await insertKey(deps.store.db, {
      prefix: deps.config.keyPrefix,
      accountId,
      environment: input.environment,
      name: input.name ?? 'Default',
      status: 'active',
      expiresAt: parseInstant(input.expires_at),
    });
    return {
      key,
      key_id: row.id,
      environment: row.environment,
      status: row.status,
      expires_at: toIso(row.expires_at),
    };
  },

  async listKeys(deps: OperatorDeps, filter: { account_id?: string }) {
    let query = deps.store.db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc');
    if (filter.account_id) query = query.where('account_id', '=', filter.account_id);
    return { data: (await query.execute()).map(keyView) };
  },

  async updateKey(
    deps: OperatorDeps,
    keyId: string,
    patch: { status?: 'active' | 'inactive' | 'revoked'; expires_at?: string | null },
  ) {
    const key = await deps.store.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', keyId)
      .executeTakeFirst();
    if (!key) throw notFound('Key');
    if (key.status === 'revoked' && patch.status !== undefined && patch.status !== 'revoked') {
      throw new AppError('invalid_payload', { message: 'A revoked key cannot be reactivated.' });
    }
    const set: { status?: typeof key.status; expires_at?: number | null } = {};
    if (patch.status !== undefined) set.status = patch.status;
    if (patch.expires_at !== undefined) set.expires_at = parseInstant(patch.expires_at);
    if (Object.keys(set).length > 0)
      await deps.store.db.updateTable('api_keys').set(set).where('id', '=', keyId).execute();
    const updated = await deps.store.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', keyId)
      .executeTakeFirstOrThrow();
    return keyView(updated);
  },

  async deleteKey(deps: OperatorDeps, keyId: string) {
    const result = await deps.store.db.deleteFrom('api_keys').where('id', '=', keyId).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('Key');
    return { key_id: keyId, deleted: true as const };
  },
};

function ledgerEntryView(e: {
  id: string;
  type: string;
  kind: string;
  amount: number;
  balance_after: number;
  enhancement_id: string | null;
  note: string | null;
  created_at: number;
}) {
  return {
    id: e.id,
    type: e.type,
    kind: e.kind,
    amount: Number(e.amount),
    balance_after: Number(e.balance_after),
    enhancement_id: e.enhancement_id,
    note: e.note,
    created_at: toIso(e.created_at),
  };
}

/** `%`, `_` and the escape character itself, escaped for a LIKE pattern with `escape '\\'`. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function parseInstant(value: string | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new AppError('invalid_payload', { message: 'expires_at must be an ISO-8601 instant.' });
  return ms;
}
