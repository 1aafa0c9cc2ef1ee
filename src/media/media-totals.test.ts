import { expect, it } from 'vitest';
import { describeOnEachDialect } from '../../test/support/databases.ts';
import { ensureAccount } from '../accounts/accounts-store.ts';
import { storageUsed } from '../accounts/usage.ts';
import type { Store } from '../store/store.ts';
import {
  deleteMediaRow,
  deleteMediaRows,
  insertMediaRow,
  type MediaRow,
  newMediaId,
  newMediaToken,
} from './media-repo.ts';
import { reconcileMediaTotals } from './media-totals.ts';

function mediaRow(accountId: string, filesize: number, tags: string[] = []): MediaRow {
  const id = newMediaId();
  const now = Date.now();
  return {
    id,
    account_id: accountId,
    environment: filesize % 2 === 0 ? 'live' : 'test',
    token: newMediaToken(),
    name: `m-${id}`,
    format: 'jpeg',
    width: 10,
    height: 10,
    frames: 1,
    filesize,
    blob_key: `originals/${id}`,
    namespace: null,
    tags: JSON.stringify(tags),
    public: 1,
    date: null,
    metadata: '{}',
    expiry_reason: null,
    expires_at: null,
    client_ip: null,
    created_at: now,
    updated_at: now,
    levels: -1,
  };
}

async function newAccount(store: Store): Promise<string> {
  const email = `${crypto.randomUUID()}@example.test`;
  const { account } = await store.transaction((tx) => ensureAccount(tx, { email, plan: 'free' }));
  return account.id;
}

/** What the counter must equal: the sum and count over the account's rows. */
async function summed(store: Store, accountId: string) {
  const row = await store.db
    .selectFrom('media')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('filesize'), eb.lit(0)).as('bytes'),
      eb.fn.countAll<number>().as('count'),
    ])
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return { bytes: Number(row.bytes), count: Number(row.count) };
}

async function recorded(store: Store, accountId: string) {
  const row = await store.db
    .selectFrom('media_totals')
    .select(['bytes', 'media_count'])
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return { bytes: Number(row?.bytes ?? 0), count: Number(row?.media_count ?? 0) };
}

function capturingLog() {
  const warnings: { obj: object; msg: string | undefined }[] = [];
  return {
    warnings,
    logger: { info() {}, error() {}, warn: (obj: object, msg?: string) => warnings.push({ obj, msg }) },
  };
}

describeOnEachDialect('media totals', (store) => {
  it('equal the sum of the rows after concurrent inserts and deletes (each row deleted twice at once)', async () => {
    const accountId = await newAccount(store());
    const first = Array.from({ length: 24 }, (_, i) =>
      mediaRow(accountId, 1000 + i, i % 3 ? ['a', 'b'] : []),
    );
    await Promise.all(first.map((row) => store().transaction((tx) => insertMediaRow(tx, row))));
    const later = Array.from({ length: 24 }, (_, i) => mediaRow(accountId, 5000 + i * 7));
    const doomed = first.slice(0, 16);
    const outcomes = await Promise.all([
      ...later.map((row) => store().transaction((tx) => insertMediaRow(tx, row))),
      ...doomed.flatMap((row) => [
        store().transaction((tx) => deleteMediaRow(tx, row)),
        store().transaction((tx) => deleteMediaRow(tx, row)),
      ]),
    ]);
    // Each doomed row was removed by exactly one of its two deletes.
    expect(outcomes.filter((o) => o === true)).toHaveLength(doomed.length);
    const expected = await summed(store(), accountId);
    expect(expected.count).toBe(first.length + later.length - doomed.length);
    expect(await recorded(store(), accountId)).toEqual(expected);
    expect(await storageUsed(store().db, accountId)).toBe(expected.bytes);
  });

  it('equal the sum after sweeper batches (two accounts each) race single deletes of the same rows', async () => {
    const accounts = [await newAccount(store()), await newAccount(store())];
    const rows = accounts.flatMap((accountId, a) =>
      Array.from({ length: 30 }, (_, i) => mediaRow(accountId, 2000 + a * 100 + i, i % 2 ? ['x'] : [])),
    );
    await Promise.all(rows.map((row) => store().transaction((tx) => insertMediaRow(tx, row))));
    // Interleaved across both accounts, as the sweeper reads expired media in expiry order.
    const doomed = rows.filter((_, i) => i % 3 !== 0).sort((a, b) => (a.id < b.id ? -1 : 1));
    const batches = [doomed.slice(0, 20), doomed.slice(10, 30), doomed.slice(25)];
    const outcomes = await Promise.all([
      ...batches.map((batch) =>
        store().transaction((tx) =>
          deleteMediaRows(
            tx,
            batch.map((r) => r.id),
          ),
        ),
      ),
      ...doomed
        .filter((_, i) => i % 4 === 0)
        .map((row) => store().transaction((tx) => deleteMediaRow(tx, row))),
    ]);
    // Every doomed row was removed exactly once, by a batch or by a single delete.
    const removed = outcomes.reduce<number>((sum, o) => sum + (o === true ? 1 : o === false ? 0 : o), 0);
    expect(removed).toBe(doomed.length);
    for (const accountId of accounts) {
      const expected = await summed(store(), accountId);
      expect(expected.count).toBe(
        rows.filter((r) => r.account_id === accountId).length -
          doomed.filter((r) => r.account_id === accountId).length,
      );
      expect(await recorded(store(), accountId)).toEqual(expected);
    }
    // Each removed media's original and renditions are owed to blob collection; its tags went with it.
    const owed = await store()
      .db.selectFrom('blob_garbage')
      .select('blob_key')
      .where(
        'blob_key',
        'in',
        doomed.flatMap((r) => [r.blob_key, `renditions/${r.id}/`]),
      )
      .execute();
    expect(owed).toHaveLength(doomed.length * 2);
    const tags = await store()
      .db.selectFrom('media_tags')
      .select('media_id')
      .where(
        'media_id',
        'in',
        doomed.map((r) => r.id),
      )
      .execute();
    expect(tags).toEqual([]);
  });

  it('reconciliation corrects a drifted counter and a missing one, and logs each', async () => {
    const drifted = await newAccount(store());
    const missing = await newAccount(store());
    const clean = await newAccount(store());
    for (const accountId of [drifted, missing, clean]) {
      for (const size of [300, 301, 302, 303, 304]) {
        const row = mediaRow(accountId, size);
        await store().transaction((tx) => insertMediaRow(tx, row));
      }
    }
    await store()
      .db.updateTable('media_totals')
      .set({ bytes: 1, media_count: 99 })
      .where('account_id', '=', drifted)
      .execute();
    await store().db.deleteFrom('media_totals').where('account_id', '=', missing).execute();

    const { logger, warnings } = capturingLog();
    // Chunks of 2 rows and 1 account per call: the walk resumes across chunks and calls.
    let after: string | undefined;
    let fixed = 0;
    for (;;) {
      const result = await reconcileMediaTotals({ store: store(), logger }, { after, accounts: 1, chunk: 2 });
      fixed += result.fixed;
      if (result.next === null) break;
      after = result.next;
    }
    expect(fixed).toBe(2);
    for (const accountId of [drifted, missing, clean]) {
      expect(await recorded(store(), accountId)).toEqual({ bytes: 1510, count: 5 });
    }
    const logged = warnings.map((w) => w.obj as { account_id: string; recorded_bytes: number });
    expect(warnings.every((w) => w.msg === 'media totals drifted; corrected')).toBe(true);
    expect(logged.map((l) => l.account_id).sort()).toEqual([drifted, missing].sort());
    expect(logged.find((l) => l.account_id === drifted)).toMatchObject({
      recorded_bytes: 1,
      actual_bytes: 1510,
      recorded_media: 99,
      actual_media: 5,
    });
  });
});
