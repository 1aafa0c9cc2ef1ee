import type { Config } from '../config/config.ts';
import type { Db } from '../store/store.ts';
import { countActiveKeys } from './accounts-store.ts';
import type { Actor } from './authenticate.ts';
import { planNamed } from './plans.ts';

/** `YYYY-MM` of the UTC calendar month quotas count in, and when it ends. */
export function quotaMonth(now = Date.now()): { month: string; resetsAt: number } {
  const d = new Date(now);
  const month = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  return { month, resetsAt: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

export async function uploadsThisMonth(db: Db, accountId: string, month: string): Promise<number> {
  const row = await db
    .selectFrom('upload_counts')
    .select('count')
    .where('account_id', '=', accountId)
    .where('month', '=', month)
    .executeTakeFirst();
  return row ? Number(row.count) : 0;
}

/** Bytes of the media the account holds: its `media_totals` counter, one row whatever the library's size. */
export async function storageUsed(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('media_totals')
    .select('bytes')
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return Number(row?.bytes ?? 0);
}

/** `GET /v1/usage` (docs/api.md §2.4). */
export async function usageOf(
  deps: { config: Pick<Config, 'plans' | 'unverifiedMaxKeys'>; store: { db: Db } },
  principal: Pick<Actor, 'account'>,
) {
  const { account } = principal;
  const plan = planNamed(deps.config.plans, account.plan);
  const { month, resetsAt } = quotaMonth();
  const [used, bytes, activeKeys] = await Promise.all([
    uploadsThisMonth(deps.store.db, account.id, month),
    storageUsed(deps.store.db, account.id),
    countActiveKeys(deps.store.db, account.id),
  ]);
  return {
    plan: plan.name,
    verified: account.email_verified === 1,
    uploads: { used, limit: plan.uploadsPerMonth, resets_at: Math.floor(resetsAt / 1000) },
    storage: { used_bytes: bytes, limit_bytes: plan.storageBytes },
    keys: { active: activeKeys, limit: account.email_verified ? null : deps.config.unverifiedMaxKeys },
    credits: {
      paid_available: Number(account.paid_available),
      paid_reserved: Number(account.paid_reserved),
      promotional: Number(account.promotional),
    },
  };
}
