import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { describeOnEachDialect } from '../../test/support/databases.ts';
import { captureQueries, planOf } from '../../test/support/query-plans.ts';
import { loadSyntheticMedia, syntheticNamespace, syntheticTag } from '../../test/support/synthetic-media.ts';
import { ensureAccount } from '../accounts/accounts-store.ts';
import type { Actor } from '../accounts/authenticate.ts';
import { storageUsed } from '../accounts/usage.ts';
import type { Db } from '../store/store.ts';
import { type ListQuery, listMediaRows, ownedMedia } from './media-queries.ts';
import { expiredBatch, findMedia, ownedBlobKeys } from './media-repo.ts';
import { ownerMedia } from './owner-media.ts';

/**
 * Every query a request (or a job per item) makes runs as a range of an index on a seeded database — the plans
 * docs/query-plans.md relies on. The queries are the ones the code issues: captured while calling it, then
 * EXPLAINed. A query that stops using its index (a new filter, a dropped index, an `or` the planner cannot bound)
 * fails here, on SQLite and on PostgreSQL.
 */

const SEEDED = 12_000;
const RANGE_INDEXES = ['media_account_list', 'media_namespace_page', 'media_tags_page'];

describeOnEachDialect('query plans at scale', (store) => {
  let actor: Actor;
  let ids: string[];
  let middleCursor: string;

  /**
   * The captured queries, in any order (some run at once), each read the indexes of one entry of `expected`; none
   * scans a media table whole or sorts; with `cursorBound`, every range read (of a list or tag index) ends at the
   * cursor (not a filter on rows read from the start).
   */
  async function expectIndexed(
    fn: (db: Db) => Promise<unknown>,
    expected: string[][],
    options: { cursorBound?: boolean; avoiding?: string } = {},
  ) {
    const queries = await captureQueries(store().db, fn);
    expect(queries).toHaveLength(expected.length);
    const unmatched = [...expected];
    for (const query of queries) {
      const plan = await planOf(store(), query, { priceOutScans: true });
      const context = `${query.sql}\n--- plan ---\n${plan.text}`;
      expect(plan.scanned, context).toEqual([]);
      expect(plan.sorted, context).toBe(false);
      const match = unmatched.findIndex((indexes) => indexes.every((index) => plan.indexes.includes(index)));
      expect(match, `${context}\n--- expected one of ---\n${JSON.stringify(unmatched)}`).not.toBe(-1);
      unmatched.splice(match, 1);
      if (options.avoiding) expect(plan.indexes, context).not.toContain(options.avoiding);
      if (options.cursorBound && plan.indexes.some((index) => RANGE_INDEXES.includes(index)))
        expect(plan.bounds, context).toMatch(/created_at/);
    }
  }

  const list = (query: Partial<ListQuery>) => (db: Db) => listMediaRows(db, actor, { limit: 50, ...query });

  beforeAll(async () => {
    const email = `${crypto.randomUUID()}@example.test`;
    const { account } = await store().transaction((tx) => ensureAccount(tx, { email, plan: 'free' }));
    const other = await store().transaction((tx) =>
      ensureAccount(tx, { email: `other-${email}`, plan: 'free' }),
    );
    actor = { account, key: { environment: 'live' } };
    ids = await loadSyntheticMedia(store(), account.id, SEEDED, { seed: 7 });
    await loadSyntheticMedia(store(), other.account.id, SEEDED / 4, { seed: 8 });
    // Statistics as a running server has them: SQLite's from `optimize` at open and in the sweep, PostgreSQL's
    // from autovacuum (run here at once rather than waited for).
    await store().optimize();
    await sql`analyze`.execute(store().db);
    const page = await listMediaRows(store().db, actor, { limit: SEEDED / 2 });
    middleCursor = page.nextCursor as string;
  }, 120_000);

  it('lists pages from the account list index, first page and from a cursor in the middle', async () => {
    await expectIndexed(list({}), [['media_account_list']]);
    await expectIndexed(list({ cursor: middleCursor }), [['media_account_list']], { cursorBound: true });
  });

  it('lists a namespace from its own index', async () => {
    await expectIndexed(
      list({ namespace: syntheticNamespace(3), cursor: middleCursor }),
      [['media_namespace_page']],
      { cursorBound: true },
    );
  });

  it('lists one tag, any of several and all of several as ranges of media_tags_page', async () => {
    const [a, b, c] = [syntheticTag(1), syntheticTag(4), syntheticTag(30)];
    const ids = ['media_tags_page'];
    const rows = ['media:pk'];
    await expectIndexed(list({ tags: a, cursor: middleCursor }), [ids, rows], { cursorBound: true });
    // `any` reads each tag's ids, then only the merged page's media.
    await expectIndexed(list({ tags: `${a},${b},${c}`, tag_mode: 'any' }), [ids, ids, ids, rows]);
    // `all` probes the other tags in their own ranges of media_tags_page, never by the tag table's primary key
    // (random pages at scale).
    await expectIndexed(
      list({ tags: `${a},${c}`, tag_mode: 'all', cursor: middleCursor }),
      [ids, ids, ids, rows],
      { cursorBound: true, avoiding: 'media_tags:pk' },
    );
  });

  it('finds ids= by primary key', async () => {
    await expectIndexed(list({ ids: ids.slice(SEEDED / 2, SEEDED / 2 + 10).join(',') }), [['media:pk']]);
  });

  it('reads one media (GET, PATCH, DELETE) by primary key', async () => {
    const id = ids[SEEDED / 3] as string;
    await expectIndexed((db) => findMedia(db, id), [['media:pk']]);
    await expectIndexed((db) => ownedMedia(db, actor, id), [['media:pk']]);
  });

  it('reads storage used from the counter', async () => {
    await expectIndexed((db) => storageUsed(db, actor.account.id), [['media_totals:pk']]);
  });

  it('finds a blob owner and the next expired media by index (blob GC, retention sweep)', async () => {
    await expectIndexed(
      (db) => ownedBlobKeys(db, [`originals/${ids[5]}`, `originals/${ids[6]}`]),
      [['media_blob_key']],
    );
    await expectIndexed((db) => expiredBatch(db, 100), [['media_expiry']]);
  });

  it('lists the namespaces in use by seeking from one to the next', async () => {
    await expectIndexed(
      (db) => ownerMedia.namespaces({ store: { ...store(), db } }, actor.account, 'live'),
      [['media_namespace_page']],
    );
  });
});
