import type { Config } from '../config/config.ts';
import { AppError, validationError } from '../errors/app-error.ts';
import { DAY_MS, HOUR_MS, toIso } from '../lib/time.ts';
import type { RateLimiter, RateRule } from '../limiter/limiter.ts';
import type { AccountsTable } from '../store/database.ts';
import type { Db, Store, Tx } from '../store/store.ts';
import { accountView, keyView } from './account-view.ts';
import { type Account, countActiveKeys, insertKey } from './accounts-store.ts';
import { type Environment, webhookSecretOf } from './api-key-format.ts';
import { approveKey } from './link-actions.ts';
import { operator } from './operator-service.ts';

/**
 * What an account owner may do with their own keys from the dashboard (docs/api.md §4, docs/web.md). Every call
 * takes the signed-in account and touches only its keys: another account's key id is "not found". Status changes
 * and deletion go through the operator service, so the rules on keys (a revoked key stays revoked) are the same
 * whoever acts; the owner's limits (active keys, creations per hour and day) are added here.
 */
export interface OwnerKeyDeps {
  store: Store;
  limiter: RateLimiter;
  config: Pick<
    Config,
    | 'keyPrefix'
    | 'defaultPlan'
    | 'plans'
    | 'dashboardMaxActiveKeys'
    | 'dashboardKeysPerHour'
    | 'dashboardKeysPerDay'
  >;
}

export type OwnerKeyAction = 'deactivate' | 'reactivate' | 'revoke' | 'approve';

const keyNotFound = () => new AppError('not_found', { message: 'Key not found.' });

async function ownKey(deps: OwnerKeyDeps, account: Account, keyId: string) {
  const key = await deps.store.db
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', keyId)
    .where('account_id', '=', account.id)
    .executeTakeFirst();
  if (!key) throw keyNotFound();
  return key;
}

function refuseSuspended(account: Account): void {
  if (account.suspended) throw new AppError('account_suspended');
}

async function assertBelowCap(deps: OwnerKeyDeps, db: Db, accountId: string): Promise<void> {
  const active = await countActiveKeys(db, accountId);
  if (active >= deps.config.dashboardMaxActiveKeys) {
    throw new AppError('active_key_limit_reached', {
      message: `This account has ${active} active or pending keys; the limit is ${deps.config.dashboardMaxActiveKeys}. Deactivate, revoke or delete one first.`,
    });
  }
}

/**
 * Runs `fn` in a transaction holding the account's row lock, after checking the active-key cap: concurrent
 * creations and reactivations of one account queue behind each other, so the cap holds on PostgreSQL too.
 */
async function underActiveKeyCap<T>(deps: OwnerKeyDeps, accountId: string, fn: (tx: Tx) => Promise<T>) {
  return deps.store.transaction(async (tx) => {
    await deps.store.forUpdate(tx.selectFrom('accounts').select('id').where('id', '=', accountId)).execute();
    await assertBelowCap(deps, tx, accountId);
    return fn(tx);
  });
}

async function spendCreation(deps: OwnerKeyDeps, accountId: string): Promise<void> {
  const rules: [string, RateRule, string][] = [
    [`dashkeys:h:${accountId}`, { limit: deps.config.dashboardKeysPerHour, periodMs: HOUR_MS }, 'hour'],
    [`dashkeys:d:${accountId}`, { limit: deps.config.dashboardKeysPerDay, periodMs: DAY_MS }, 'day'],
  ];
  for (const [key, rule, per] of rules) {
    const decision = await deps.limiter.hit(key, rule);
    if (!decision.allowed) {
      throw new AppError('rate_limit_exceeded', {
        message: `At most ${rule.limit} keys can be created per ${per}. Try again in ${Math.ceil(decision.retryAfter / 60)} minutes.`,
        retryAfter: decision.retryAfter,
      });
    }
  }
}

function parseExpiry(value: string | null | undefined, now: number): number | null {
  if (value === undefined || value === null || value === '') return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw validationError({ expires_at: ['Must be a date and time (ISO-8601)'] });
  if (ms <= now) throw validationError({ expires_at: ['Must be in the future'] });
  return ms;
}

export const ownerKeys = {
  async list(deps: Pick<OwnerKeyDeps, 'store'>, account: Account) {
    const rows = await deps.store.db
      .selectFrom('api_keys')
      .selectAll()
      .where('account_id', '=', account.id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return { data: rows.map(keyView) };
  },

  /** A new active key; the key and its webhook secret are in this answer and nowhere else, ever. */
  async create(
    deps: OwnerKeyDeps,
    account: Account,
    input: { name?: string; environment: Environment; expires_at?: string | null },
    now = Date.now(),
  ) {
    refuseSuspended(account);
    const name = input.name?.trim() || 'Default';
    const expiresAt = parseExpiry(input.expires_at, now);
    // The cap is checked before the hourly budget is spent (a refused creation is not a creation), and again
    // under the row lock, where it decides.
    await assertBelowCap(deps, deps.store.db, account.id);
    await spendCreation(deps, account.id);
    const { key, row } = await underActiveKeyCap(deps, account.id, (tx) =>
      insertKey(tx, {
        prefix: deps.config.keyPrefix,
        accountId: account.id,
        environment: input.environment,
        name,
        status: 'active',
        expiresAt,
      }),
    );
    return {
      ...keyView(row),
      key,
      webhook_secret: webhookSecretOf(key),
      expires_at: toIso(row.expires_at),
    };
  },

  async act(deps: OwnerKeyDeps, account: Account, keyId: string, action: OwnerKeyAction) {
    const key = await ownKey(deps, account, keyId);
    switch (action) {
      case 'deactivate':
        if (key.status !== 'active') {
          throw new AppError('invalid_payload', { message: 'Only an active key can be deactivated.' });
        }
        return operator.updateKey(deps, keyId, { status: 'inactive' });
      case 'revoke':
        return operator.updateKey(deps, keyId, { status: 'revoked' });
      case 'reactivate': {
        refuseSuspended(account);
        if (key.status !== 'inactive') {
          throw new AppError('invalid_payload', {
            message:
              key.status === 'revoked'
                ? 'A revoked key cannot be reactivated.'
                : 'Only an inactive key can be reactivated.',
          });
        }
        await underActiveKeyCap(deps, account.id, (tx) =>
          tx
            .updateTable('api_keys')
            .set({ status: 'active' })
            .where('id', '=', keyId)
            .where('status', '=', 'inactive')
            .execute(),
        );
        return operator.updateKey(deps, keyId, {});
      }
      case 'approve':
        refuseSuspended(account);
        if (!(await approveKey(deps, keyId))) {
          throw new AppError('invalid_payload', {
            message: 'Only a key waiting for approval can be approved.',
          });
        }
        return operator.updateKey(deps, keyId, {});
      default:
        return unknownAction(action);
    }
  },

  async remove(deps: OwnerKeyDeps, account: Account, keyId: string) {
    await ownKey(deps, account, keyId);
    return operator.deleteKey(deps, keyId);
  },

  async setRegistrationPolicy(
    deps: OwnerKeyDeps,
    account: Account,
    policy: AccountsTable['registration_policy'],
  ) {
    return operator.updateAccount(deps, account.id, { registration_policy: policy });
  },

  /** The signed-in owner's account, in the operator API's shape. */
  view: (account: Account) => accountView(account),
};

function unknownAction(action: never): never {
  throw new AppError('invalid_payload', { message: `Unknown action ${String(action)}.` });
}
