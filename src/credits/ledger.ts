import { sortableId } from '../lib/ids.ts';
import type { LedgerEntriesTable } from '../store/database.ts';
import type { Db, Tx } from '../store/store.ts';

export type CreditKind = LedgerEntriesTable['kind'];
export type LedgerEntry = LedgerEntriesTable;

/**
 * The credits ledger (docs/api.md §4.4). Every balance change is one conditional UPDATE plus one ledger row in the
 * caller's transaction; the `WHERE … >= amount` guards make the balance impossible to drive negative even when
 * PostgreSQL runs transactions concurrently.
 *
 * Entry amounts are signed changes:
 * - grant: + to `paid_available` (purchased; also `lifetime_purchased`) or to `promotional`
 * - reserve: − to `paid_available` (moved to `paid_reserved`)
 * - release: + to `paid_available` (moved back from `paid_reserved`)
 * - consume: − to `paid_reserved`
 * `balance_after` is the bucket the entry changed: `paid_available` for grant/reserve/release (purchased),
 * `paid_reserved` for consume, `promotional` for promotional grants.
 */
export async function grantCredits(
  tx: Tx,
  input: { accountId: string; amount: number; kind: CreditKind; note?: string | null },
): Promise<LedgerEntry | null> {
  const query =
    input.kind === 'purchased'
      ? tx
          .updateTable('accounts')
          .set((eb) => ({
            paid_available: eb('paid_available', '+', input.amount),
            lifetime_purchased: eb('lifetime_purchased', '+', input.amount),
            updated_at: Date.now(),
          }))
          .returning('paid_available as balance')
      : tx
          .updateTable('accounts')
          .set((eb) => ({ promotional: eb('promotional', '+', input.amount), updated_at: Date.now() }))
          .returning('promotional as balance');
  const row = await query.where('id', '=', input.accountId).executeTakeFirst();
  if (!row) return null;
  return record(tx, {
    account_id: input.accountId,
    type: 'grant',
    kind: input.kind,
    amount: input.amount,
    balance_after: Number(row.balance),
    enhancement_id: null,
    note: input.note ?? null,
  });
}

/** Moves `amount` from available to reserved; false (and no change) when the balance does not cover it. */
export async function reserveCredits(
  tx: Tx,
  input: { accountId: string; amount: number; enhancementId: string },
): Promise<LedgerEntry | null> {
  if (input.amount === 0) return null;
  const row = await tx
    .updateTable('accounts')
    .set((eb) => ({
      paid_available: eb('paid_available', '-', input.amount),
      paid_reserved: eb('paid_reserved', '+', input.amount),
      updated_at: Date.now(),
    }))
    .where('id', '=', input.accountId)
    .where('paid_available', '>=', input.amount)
    .returning('paid_available')
    .executeTakeFirst();
  if (!row) return null;
  return record(tx, {
    account_id: input.accountId,
    type: 'reserve',
    kind: 'purchased',
    amount: -input.amount,
    balance_after: Number(row.paid_available),
    enhancement_id: input.enhancementId,
    note: null,
  });
}

/** Spends reserved credits (an item completed). Throws if nothing that large is reserved: that is a bug. */
export async function consumeCredits(
  tx: Tx,
  input: { accountId: string; amount: number; enhancementId: string },
): Promise<LedgerEntry | null> {
  if (input.amount === 0) return null;
  const row = await tx
    .updateTable('accounts')
    .set((eb) => ({ paid_reserved: eb('paid_reserved', '-', input.amount), updated_at: Date.now() }))
    .where('id', '=', input.accountId)
    .where('paid_reserved', '>=', input.amount)
    .returning('paid_reserved')
    .executeTakeFirst();
  if (!row) throw new Error(`consume of ${input.amount} exceeds reserved credits of ${input.accountId}`);
  return record(tx, {
    account_id: input.accountId,
    type: 'consume',
    kind: 'purchased',
    amount: -input.amount,
    balance_after: Number(row.paid_reserved),
    enhancement_id: input.enhancementId,
    note: null,
  });
}

/** Returns reserved credits to available (an item failed, or queueing failed). */
export async function releaseCredits(
  tx: Tx,
  input: { accountId: string; amount: number; enhancementId: string },
): Promise<LedgerEntry | null> {
  if (input.amount === 0) return null;
  const row = await tx
    .updateTable('accounts')
    .set((eb) => ({
      paid_available: eb('paid_available', '+', input.amount),
      paid_reserved: eb('paid_reserved', '-', input.amount),
      updated_at: Date.now(),
    }))
    .where('id', '=', input.accountId)
    .where('paid_reserved', '>=', input.amount)
    .returning('paid_available')
    .executeTakeFirst();
  if (!row) throw new Error(`release of ${input.amount} exceeds reserved credits of ${input.accountId}`);
  return record(tx, {
    account_id: input.accountId,
    type: 'release',
    kind: 'purchased',
    amount: input.amount,
    balance_after: Number(row.paid_available),
    enhancement_id: input.enhancementId,
    note: null,
  });
}

export async function listLedger(
  db: Db,
  accountId: string,
  page: { limit: number; before?: string },
): Promise<LedgerEntry[]> {
  let query = db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(page.limit);
  if (page.before) query = query.where('id', '<', page.before);
  return query.execute();
}

/**
 * The ledger invariant: each balance equals the sum of the entries that move it, and none is negative.
 * Returns the violations (empty when the books balance).
 */
export async function ledgerViolations(db: Db, accountId: string): Promise<string[]> {
  const account = await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
  if (!account) return [`account ${accountId} missing`];
  const entries = await db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('account_id', '=', accountId)
    .execute();
  const sum = (pred: (e: LedgerEntry) => boolean) =>
    entries.filter(pred).reduce((s, e) => s + Number(e.amount), 0);
  const purchased = (e: LedgerEntry) => e.kind === 'purchased';
  const expected = {
    paid_available: sum((e) => purchased(e) && e.type !== 'consume'),
    paid_reserved:
      -sum((e) => purchased(e) && (e.type === 'reserve' || e.type === 'release')) +
      sum((e) => e.type === 'consume'),
    lifetime_purchased: sum((e) => purchased(e) && e.type === 'grant'),
    promotional: sum((e) => e.kind === 'promotional'),
  };
  const problems: string[] = [];
  for (const [field, value] of Object.entries(expected) as [keyof typeof expected, number][]) {
    const actual = Number(account[field]);
    if (actual !== value) problems.push(`${field} is ${actual}, entries sum to ${value}`);
    if (actual < 0) problems.push(`${field} is negative (${actual})`);
  }
  return problems;
}

async function record(tx: Tx, entry: Omit<LedgerEntry, 'id' | 'created_at'>): Promise<LedgerEntry> {
  const row: LedgerEntry = { ...entry, id: sortableId('led'), created_at: Date.now() };
  await tx.insertInto('ledger_entries').values(row).execute();
  return row;
}
