import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store, Tx } from './store.ts';

/**
 * What every SQL backend must guarantee to the domain: migrations, unique constraints that hold under
 * concurrency, conditional updates that never go below zero, row locks that serialise, and atomic rollback. The
 * suite writes its rows directly (the domain's own rules on top of these guarantees are tested beside that code,
 * on both dialects: `accounts-store.test.ts`, `ledger.test.ts`).
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

    const insertAccount = (tx: Tx, email = `${crypto.randomUUID()}@example.test`) => {
      const now = Date.now();
      return tx
        .insertInto('accounts')
        .values({
          id: `acc_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`,
          email,
          email_verified: 0,
          plan: 'free',
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
        .returningAll()
        .executeTakeFirstOrThrow();
    };
    const newAccount = () => store.transaction((tx) => insertAccount(tx));
    const accountRow = (id: string) =>
      store.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();

    it('migrates and answers a ping', async () => {
      await store.ping();
      const tables = ['accounts', 'api_keys', 'ledger_entries', 'outbox', 'media', 'enhancements'] as const;
      for (const table of tables) {
        await expect(store.db.selectFrom(table).selectAll().limit(1).execute()).resolves.toBeInstanceOf(
          Array,
        );
      }
    });

    it('keeps a unique column unique under concurrent inserts, and says which errors are violations', async () => {
      const email = `${crypto.randomUUID()}@example.test`;
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => store.transaction((tx) => insertAccount(tx, email))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect(store.isUniqueViolation(result.reason)).toBe(true);
      }
      const rows = await store.db.selectFrom('accounts').select('id').where('email', '=', email).execute();
      expect(rows).toHaveLength(1);
      expect(store.isUniqueViolation(new Error('other'))).toBe(false);
    });

    it('lets only the conditional updates whose condition still holds through, under concurrency', async () => {
      const account = await newAccount();
      await store.db
        .updateTable('accounts')
        .set({ paid_available: 15 })
        .where('id', '=', account.id)
        .execute();
      // 20 concurrent "take 5 if at least 5 remain": exactly 3 may succeed, and the balance never goes negative.
      const attempts = await Promise.all(
        Array.from({ length: 20 }, () =>
          store.transaction(async (tx) => {
            const result = await tx
              .updateTable('accounts')
              .set((eb) => ({
                paid_available: eb('paid_available', '-', 5),
                paid_reserved: eb('paid_reserved', '+', 5),
              }))
              .where('id', '=', account.id)
              .where('paid_available', '>=', 5)
              .executeTakeFirst();
            return Number(result.numUpdatedRows) === 1;
          }),
        ),
      );
      expect(attempts.filter(Boolean)).toHaveLength(3);
      const row = await accountRow(account.id);
      expect([row?.paid_available, row?.paid_reserved]).toEqual([0, 15]);
    });

    it('rolls a failed transaction back whole', async () => {
      const account = await newAccount();
      let inserted = '';
      await expect(
        store.transaction(async (tx) => {
          inserted = (await insertAccount(tx)).id;
          await tx.updateTable('accounts').set({ promotional: 7 }).where('id', '=', account.id).execute();
          throw new Error('refused after two writes');
        }),
      ).rejects.toThrow('refused after two writes');
      expect(await accountRow(inserted)).toBeUndefined();
      expect((await accountRow(account.id))?.promotional).toBe(0);
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
      expect(Number((await accountRow(account.id))?.promotional)).toBe(6);
    });

    it('reads bigint columns as numbers', async () => {
      const account = await newAccount();
      await store.db
        .updateTable('accounts')
        .set({ lifetime_purchased: 3_000_000_000 })
        .where('id', '=', account.id)
        .execute();
      const row = await accountRow(account.id);
      expect(row?.lifetime_purchased).toBe(3_000_000_000);
      expect(typeof row?.created_at).toBe('number');
    });
  });
}
