import { sql } from 'kysely';
import type { Config } from '../config/config.ts';
import { listLedger } from '../credits/ledger.ts';
import { AppError } from '../errors/app-error.ts';
import { DAY_MS, toIso } from '../lib/time.ts';
import type { Db } from '../store/store.ts';
import type { Account } from './accounts-store.ts';
import { planNamed } from './plans.ts';
import { storageUsed, usageOf } from './usage.ts';

/**
 * Usage and credits of an owner signed in to the dashboard (docs/web.md): the figures of `GET /v1/usage`, the
 * credits ledger in the shape of docs/api.md §4.4 (operator notes stay with the operator), and day-by-day series
 * for the charts, drawn from the rows themselves: media by the day they were uploaded, ledger entries by the day
 * they were written.
 */
export interface OwnerUsageDeps {
  config: Pick<Config, 'plans' | 'unverifiedMaxKeys' | 'creditsPerImage'>;
  store: { db: Db };
}

/** The longest window the charts cover. */
const MAX_DAYS = 366;
/** Ledger entries a chart reads at most (a busy account's year); older movements are folded into the start. */
const MAX_SERIES_ENTRIES = 20_000;

const ledgerEntryView = (e: {
  id: string;
  type: string;
  kind: string;
  amount: number;
  balance_after: number;
  enhancement_id: string | null;
  created_at: number;
}) => ({
  id: e.id,
  type: e.type,
  kind: e.kind,
  amount: Number(e.amount),
  balance_after: Number(e.balance_after),
  enhancement_id: e.enhancement_id,
  created_at: toIso(Number(e.created_at)),
});

/** The day (UTC, ms at midnight) an instant falls on. */
const dayOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/** How each entry moves the purchased credits one can spend (`paid_available`) and the promotional ones. */
function movement(e: { type: string; kind: string; amount: number }) {
  if (e.kind === 'promotional') return { available: 0, promotional: Number(e.amount) };
  // A consume moves reserved credits, already taken from `available` by their reserve.
  return { available: e.type === 'consume' ? 0 : Number(e.amount), promotional: 0 };
}

export const ownerUsage = {
  async summary(deps: OwnerUsageDeps, account: Account) {
    const usage = await usageOf(deps, { account });
    const plan = planNamed(deps.config.plans, account.plan);
    return {
      ...usage,
      plan: { name: plan.name, label: plan.label },
      credits: { ...usage.credits, lifetime_purchased: Number(account.lifetime_purchased) },
      credits_per_image: deps.config.creditsPerImage,
    };
  },

  /** Newest first, `before` an entry id for the next page. */
  async ledger(deps: OwnerUsageDeps, account: Account, page: { limit: number; before?: string }) {
    const rows = await listLedger(deps.store.db, account.id, { ...page, limit: page.limit + 1 });
    const data = rows.slice(0, page.limit).map(ledgerEntryView);
    const more = rows.length > page.limit;
    return { data, next_before: more ? (data.at(-1)?.id ?? null) : null };
  },

  /**
   * One point per UTC day of the last `days` days (today included): uploads that day and their bytes; storage of
   * the media the account holds now, by the day each arrived; paid credits available and promotional credits at
   * the end of the day; credits spent that day.
   */
  async series(deps: OwnerUsageDeps, account: Account, days: number, now = Date.now()) {
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS)
      throw new AppError('invalid_payload', { errors: { days: [`Must be 1–${MAX_DAYS}`] } });
    const { db } = deps.store;
    const first = dayOf(now) - (days - 1) * DAY_MS;
    const perDay = await db
      .selectFrom('media')
      .select([
        sql<number>`created_at / ${sql.lit(DAY_MS)}`.as('day'),
        (eb) => eb.fn.countAll<number>().as('uploads'),
        (eb) => eb.fn.sum<number>('filesize').as('bytes'),
      ])
      .where('account_id', '=', account.id)
      // Both environments named, so each is one range of the account's list index from `first` on.
      .where('environment', 'in', ['live', 'test'])
      .where('created_at', '>=', first)
      .groupBy(sql`created_at / ${sql.lit(DAY_MS)}`)
      .execute();
    // Storage held from before the window: the account's counter less what arrived inside it (no scan of history).
    const windowBytes = perDay.reduce((sum, r) => sum + Number(r.bytes ?? 0), 0);
    const before = { bytes: (await storageUsed(db, account.id)) - windowBytes };
    const entries = await db
      .selectFrom('ledger_entries')
      .select(['type', 'kind', 'amount', 'created_at'])
      .where('account_id', '=', account.id)
      .where('created_at', '>=', first)
      .orderBy('id', 'desc')
      .limit(MAX_SERIES_ENTRIES)
      .execute();

    // Balances at the start of the window: today's balances less every movement since.
    let available = Number(account.paid_available);
    let promotional = Number(account.promotional);
    for (const e of entries) {
      const m = movement(e);
      available -= m.available;
      promotional -= m.promotional;
    }
    const byDay = new Map(perDay.map((r) => [Number(r.day) * DAY_MS, r]));
    const moves = [...entries].reverse();
    let storage = Number(before.bytes);
    let next = 0;
    const points = [];
    for (let day = first; day <= dayOf(now); day += DAY_MS) {
      const uploads = byDay.get(day);
      storage += Number(uploads?.bytes ?? 0);
      let spent = 0;
      for (; next < moves.length && dayOf(Number(moves[next]?.created_at)) <= day; next++) {
        const e = moves[next] as (typeof moves)[number];
        const m = movement(e);
        available += m.available;
        promotional += m.promotional;
        if (e.type === 'consume') spent -= Number(e.amount);
      }
      points.push({
        day: new Date(day).toISOString().slice(0, 10),
        uploads: Number(uploads?.uploads ?? 0),
        upload_bytes: Number(uploads?.bytes ?? 0),
        storage_bytes: storage,
        paid_available: available,
        promotional,
        credits_spent: spent,
      });
    }
    return { days: points };
  },
};
