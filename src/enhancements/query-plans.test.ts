import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { describeOnEachDialect } from '../../test/support/databases.ts';
import { captureQueries, planOf } from '../../test/support/query-plans.ts';
import { loadSyntheticEnhancements } from '../../test/support/synthetic-enhancements.ts';
import { loadSyntheticMedia } from '../../test/support/synthetic-media.ts';
import { ensureAccount } from '../accounts/accounts-store.ts';
import type { Actor } from '../accounts/authenticate.ts';
import type { Db } from '../store/store.ts';
import { getEnhancement, listEnhancements } from './enhancement-reads.ts';

/**
 * The enhancement API's reads as ranges of one account's index on a seeded database (docs/query-plans.md): the
 * queries the code issues, captured and EXPLAINed on SQLite and PostgreSQL. A list that walks another index and
 * filters the account's batches out (PostgreSQL did, on the global `seq` index) fails here.
 */

const SEEDED_MEDIA = 12_000;

describeOnEachDialect('enhancement query plans at scale', (store) => {
  let actor: Actor;
  let middleCursor: string;
  let batchId: string;

  /**
   * The captured queries, in order, each read the indexes of their entry of `expected`, scan no library-sized
   * table and sort nothing; their index reads are bounded by `bound` (SQLite's `SEARCH … (…)`, PostgreSQL's
   * `Index Cond`): the account, environment and cursor end the range rather than filter the rows read.
   */
  async function expectIndexed(
    fn: (db: Db) => Promise<unknown>,
    expected: { indexes: string[]; bound: RegExp }[],
  ) {
    const queries = await captureQueries(store().db, fn);
    expect(queries).toHaveLength(expected.length);
    for (const [i, query] of queries.entries()) {
      const plan = await planOf(store(), query, { priceOutScans: true });
      const context = `${query.sql}\n--- plan ---\n${plan.text}`;
      expect(plan.scanned, context).toEqual([]);
      expect(plan.sorted, context).toBe(false);
      expect(plan.indexes, context).toEqual(expect.arrayContaining(expected[i]?.indexes ?? ['?']));
      expect(plan.bounds, context).toMatch(expected[i]?.bound ?? /^$/);
    }
  }

  beforeAll(async () => {
    const email = `${crypto.randomUUID()}@example.test`;
    const { account } = await store().transaction((tx) => ensureAccount(tx, { email, plan: 'free' }));
    const other = await store().transaction((tx) =>
      ensureAccount(tx, { email: `other-${email}`, plan: 'free' }),
    );
    actor = { account, key: { environment: 'live' } };
    const ids = await loadSyntheticMedia(store(), account.id, SEEDED_MEDIA, { seed: 7 });
    const batches = await loadSyntheticEnhancements(store(), account.id, ids, { seed: 9 });
    // Another account's batches, a quarter as many, interleaved in time with this one's. With this account holding
    // most of the table, PostgreSQL priced walking the global `seq` index (filtering the other account out) below
    // this account's range, until migration 0013 dropped that index: this seeding fails on the old schema.
    const otherIds = await loadSyntheticMedia(store(), other.account.id, SEEDED_MEDIA / 4, { seed: 8 });
    await loadSyntheticEnhancements(store(), other.account.id, otherIds, { seed: 10 });
    // Statistics as a running server has them (see src/media/query-plans.test.ts).
    await store().optimize();
    await sql`analyze`.execute(store().db);
    const half = await listEnhancements({ db: store().db }, actor, { limit: 100 });
    const next = await listEnhancements({ db: store().db }, actor, {
      limit: 100,
      cursor: half.next_cursor as string,
    });
    middleCursor = next.next_cursor as string;
    const live = await store()
      .db.selectFrom('enhancements')
      .select('id')
      .where('id', 'in', batches)
      .where('environment', '=', 'live')
      .where('total_items', '>=', 10)
      .where('completed_items', '>=', 1)
      .limit(1)
      .executeTakeFirstOrThrow();
    batchId = live.id;
  }, 120_000);

  it('seeds batches shaped like real use: done, mostly completed, both environments, items with results', async () => {
    const byStatus = await store()
      .db.selectFrom('enhancements')
      .select(['status', 'environment', (eb) => eb.fn.countAll<number>().as('n')])
      .where('account_id', '=', actor.account.id)
      .groupBy(['status', 'environment'])
      .execute();
    const count = (status: string, environment?: string) =>
      byStatus
        .filter((r) => r.status === status && (environment === undefined || r.environment === environment))
        .reduce((sum, r) => sum + Number(r.n), 0);
    const total = byStatus.reduce((sum, r) => sum + Number(r.n), 0);
    expect(total).toBe(SEEDED_MEDIA / 20);
    expect(count('completed') / total).toBeGreaterThan(0.75);
    expect(count('failed') + count('partially_completed')).toBeGreaterThan(0);
    expect(byStatus.some((r) => r.environment === 'test')).toBe(true);
    const { enhancement } = await getEnhancement(
      { db: store().db, srcBase: 'http://127.0.0.1' },
      actor,
      batchId,
    );
    expect(enhancement.items).toHaveLength(enhancement.total_items);
    const completed = enhancement.items.filter((item) => item.status === 'completed');
    expect(completed).toHaveLength(enhancement.completed_items);
    for (const item of completed) expect(item.result_url).toMatch(/^http:\/\/127\.0\.0\.1\//);
  });

  it('lists batches from the account list index, first page and from a cursor in the middle', async () => {
    await expectIndexed(
      (db) => listEnhancements({ db }, actor, { limit: 50 }),
      [{ indexes: ['enhancements_list'], bound: /account_id.*environment/ }],
    );
    await expectIndexed(
      (db) => listEnhancements({ db }, actor, { limit: 50, cursor: middleCursor }),
      [{ indexes: ['enhancements_list'], bound: /account_id.*environment.*seq/ }],
    );
  });

  it('lists one status from its own index, a status no batch has included', async () => {
    for (const status of ['failed', 'queued'] as const) {
      await expectIndexed(
        (db) => listEnhancements({ db }, actor, { limit: 50, status, cursor: middleCursor }),
        [{ indexes: ['enhancements_status_page'], bound: /account_id.*environment.*status.*seq/ }],
      );
    }
  });

  it('reads one batch by primary key and its items by their parent index', async () => {
    await expectIndexed(
      (db) => getEnhancement({ db, srcBase: 'http://127.0.0.1' }, actor, batchId),
      [
        { indexes: ['enhancements:pk'], bound: /id/ },
        { indexes: ['enhancement_items_parent', 'media:pk'], bound: /enhancement_id/ },
      ],
    );
  });
});
