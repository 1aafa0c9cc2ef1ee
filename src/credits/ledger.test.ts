import { expect, it } from 'vitest';
import { describeOnEachDialect } from '../../test/support/databases.ts';
import { ensureAccount } from '../accounts/accounts-store.ts';
import { grantCredits, ledgerViolations, releaseCredits, reserveCredits } from './ledger.ts';

describeOnEachDialect('credits ledger', (store) => {
  const newAccount = async () =>
    (
      await store().transaction((tx) =>
        ensureAccount(tx, { email: `${crypto.randomUUID()}@example.test`, plan: 'free' }),
      )
    ).account;
  const balances = async (id: string) => {
    const row = await store()
      .db.selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return [row.paid_available, row.paid_reserved];
  };

  it('never oversells under concurrent reservations', async () => {
    const account = await newAccount();
    await store().transaction((tx) =>
      grantCredits(tx, { accountId: account.id, amount: 15, kind: 'purchased' }),
    );
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store().transaction((tx) =>
          reserveCredits(tx, { accountId: account.id, amount: 5, enhancementId: `e${i}` }),
        ),
      ),
    );
    expect(attempts.filter(Boolean)).toHaveLength(3);
    expect(await balances(account.id)).toEqual([0, 15]);
    expect(await ledgerViolations(store().db, account.id)).toEqual([]);
  });

  it('refuses to release more than was reserved, and the transaction leaves nothing behind', async () => {
    const account = await newAccount();
    await store().transaction((tx) =>
      grantCredits(tx, { accountId: account.id, amount: 10, kind: 'purchased' }),
    );
    await expect(
      store().transaction(async (tx) => {
        await reserveCredits(tx, { accountId: account.id, amount: 10, enhancementId: 'x' });
        await releaseCredits(tx, { accountId: account.id, amount: 11, enhancementId: 'x' });
      }),
    ).rejects.toThrow();
    expect(await balances(account.id)).toEqual([10, 0]);
    expect(await ledgerViolations(store().db, account.id)).toEqual([]);
  });
});
