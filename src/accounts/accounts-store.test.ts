import { expect, it } from 'vitest';
import { describeOnEachDialect } from '../../test/support/databases.ts';
import { ensureAccount } from './accounts-store.ts';

describeOnEachDialect('accounts store', (store) => {
  it('creates one account for concurrent inserts of the same email', async () => {
    const email = `${crypto.randomUUID()}@example.test`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        store().transaction((tx) => ensureAccount(tx, { email, plan: 'free' })),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.account.id)).size).toBe(1);
  });
});
