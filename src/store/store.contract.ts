import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAccount } from '../accounts/accounts-store.ts';
import { grantCredits, ledgerViolations, releaseCredits, reserveCredits } from '../credits/ledger.ts';
import type { Store } from './store.ts';

/**
 * What every SQL backend must guarantee to the domain: migrations, unique constraints that hold under
 * concurrency, conditional updates that never oversell, row locks that serialise, and atomic rollback.
 */
export function storeContract(
  name: string,
  open: () => Promise<{ store: Store; drop: () => Promise<void> }>,
): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      ({ store, drop } = await open());
    });
    afterAll(async () => {
      await store.close();
      await drop();
    });

    const newAccount = async (email = `${crypto.randomUUID()}@example.test`) =>
      (await store.transaction((tx) => ensureAccount(tx, { email, plan: 'free' }))).account;

    it('migrates and answers a ping', async () => {
      await store.ping();
      const tables = ['accounts', 'api_keys', 'ledger_entries', 'outbox', 'media', 'enhancements'] as const;
      for (const table of tables) {
        await expect(store.db.selectFrom(table).selectAll().limit(1).execute()).resolves.toBeInstanceOf(
          Array,
        );
      }
    });

    it('creates one account for concurrent inserts of the same email', async () => {
      const email = `${crypto.randomUUID()}@example.test`;
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.transaction((tx) => ensureAccount(tx, { email, plan: 'free' })),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.account.id)).size).toBe(1);
    });

    it('reports unique violations', async () => {
      const account = await newAccount();
      const error = await store.db
        .insertInto('accounts')
        .values({ ...account, id: 'acc_dup' })
        .execute()
        .catch((e: unknown) => e);
      expect(store.isUniqueViolation(error)).toBe(true);
      expect(store.isUniqueViolation(new Error('other'))).toBe(false);
    });

    it('never oversells under concurrent reservations', async () => {
      const account = await newAccount();
      await store.transaction((tx) =>
        grantCredits(tx, { accountId: account.id, amount: 15, kind: 'purchased' }),
      );
      const attempts = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.transaction((tx) =>
            reserveCredits(tx, { accountId: account.id, amount: 5, enhancementId: `e${i}` }),
          ),
        ),
      );
      expect(attempts.filter(Boolean)).toHaveLength(3);
      const row = await store.db
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', account.id)
        .executeTakeFirstOrThrow();
      expect(row.paid_available).toBe(0);
      expect(row.paid_reserved).toBe(15);
      expect(await ledgerViolations(store.db, account.id)).toEqual([]);
    });

    it('rolls a failed transaction back whole', async () => {
      const account = await newAccount();
      await store.transaction((tx) =>
        grantCredits(tx, { accountId: account.id, amount: 10, kind: 'purchased' }),
      );
      await expect(
        store.transaction(async (tx) => {
          await reserveCredits(tx, { accountId: account.id, amount: 10, enhancementId: 'x' });
          // Releasing more than reserved is a bug the ledger refuses; the reservation must vanish with it.
          await releaseCredits(tx, { accountId: account.id, amount: 11, enhancementId: 'x' });
        }),
      ).rejects.toThrow();
      const row = await store.db
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', account.id)
        .executeTakeFirstOrThrow();
      expect([row.paid_available, row.paid_reserved]).toEqual([10, 0]);
      expect(await ledgerViolations(store.db, account.id)).toEqual([]);
    });

    it('serialises read-check-write sections with forUpdate', async () => {
      const account = await newAccount();
      // Each transaction reads a counter, waits, writes counter + 1: without the lock, updates would be lost.
      const bump = () =>
        store.transaction(async (tx) => {
          const row = await store
            .forUpdate(tx.selectFrom('accounts').select('promotional').where('id', '=', account.id))
            .executeTakeFirstOrThrow();
          await new Promise((r) => setTimeout(r, 5));
          await tx
            .updateTable('accounts')
            .set({ promotional: Number(row.promotional) + 1 })
            .where('id', '=', account.id)
            .execute();
        });
      await Promise.all(Array.from({ length: 6 }, bump));
      const row = await store.db
        .selectFrom('accounts')
        .select('promotional')
        .where('id', '=', account.id)
        .executeTakeFirstOrThrow();
      expect(Number(row.promotional)).toBe(6);
    });

    it('reads bigint columns as numbers', async () => {
      const account = await newAccount();
      await store.transaction((tx) =>
        grantCredits(tx, { accountId: account.id, amount: 3_000_000_000, kind: 'purchased' }),
      );
      const row = await store.db
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', account.id)
        .executeTakeFirstOrThrow();
      expect(row.lifetime_purchased).toBe(3_000_000_000);
      expect(typeof row.created_at).toBe('number');
    });
  });
}
