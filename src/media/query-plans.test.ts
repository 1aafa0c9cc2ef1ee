import { CompiledQuery, type KyselyPlugin, sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { describeOnEachDialect } from '../../test/support/databases.ts';
import { loadSyntheticMedia, syntheticNamespace, syntheticTag } from '../../test/support/synthetic-media.ts';
import { ensureAccount } from '../accounts/accounts-store.ts';
import type { Actor } from '../accounts/authenticate.ts';
import { storageUsed } from '../accounts/usage.ts';
import type { Db, Store } from '../store/store.ts';
import { type ListQuery, listMediaRows, ownedMedia } from './media-queries.ts';
import { blobOwned, expiredBatch, findMedia } from './media-repo.ts';
import { ownerMedia } from './owner-media.ts';

/**
 * Every query a request (or a job per item) makes runs as a range of an index on a seeded database — the plans
 * docs/query-plans.md relies on. The queries are the ones the code issues: captured while calling it, then
 * EXPLAINed. A query that stops using its index (a new filter, a dropped index, an `or` the planner cannot bound)
 * fails here, on SQLite and on PostgreSQL.
 */

const SEEDED = 12_000;

/** The SQL (with parameters) of every query `fn` issues, in order. */
async function capture(db: Db, fn: (db: Db) => Promise<unknown>): Promise<CompiledQuery[]> {
  const queries: CompiledQuery[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      queries.push(db.getExecutor().compileQuery(args.node, args.queryId));
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  await fn(db.withPlugin(plugin));
  return queries;
}

interface Plan {
  /** Indexes the plan reads, by name (primary keys as `<table>:pk`). */
  indexes: string[];
  /** Tables read whole (a full table or full index scan). */
  scanned: string[];
  sorted: boolean;
  /** What bounds the index reads (SQLite's `SEARCH … (…)` constraints, PostgreSQL's `Index Cond`). */
  bounds: string;
  text: string;
}

const TABLES = ['media', 'media_tags', 'media_totals'];

async function sqlitePlan(store: Store, query: CompiledQuery): Promise<Plan> {
  const { rows } = await store.db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
  );
  const details = rows.map((r) => r.detail);
  const indexes = details.flatMap((d) => {
    const named = /USING (?:COVERING )?INDEX (\w+)/.exec(d)?.[1];
    const pk = /^SEARCH (\w+) USING (?:COVERING )?INDEX sqlite_autoindex_(\w+?)_1/.exec(d)?.[2];
    if (pk) return [`${pk}:pk`];
    return named ? [named] : [];
  });
  const aliases: Record<string, string> = { m: 'media', t: 'media_tags', o: 'media_tags' };
  const scanned = details.flatMap((d) => {
    const table = /^SCAN (\w+)/.exec(d)?.[1];
    const name = table ? (aliases[table] ?? table) : undefined;
    return name && TABLES.includes(name) ? [name] : [];
  });
  return {
    indexes,
    scanned,
    sorted: details.some((d) => d.includes('TEMP B-TREE FOR ORDER BY')),
    bounds: details
      .flatMap((d) => (d.startsWith('SEARCH') ? [/\((.*)\)$/.exec(d)?.[1] ?? ''] : []))
      .join('; '),
    text: details.join('\n'),
  };
}

interface PgNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PgNode[];
}

/**
 * At test size PostgreSQL's costs rightly prefer reading a small table whole, so its seq scans and sorts are priced
 * out here (`enable_seqscan`, `enable_sort` off for this transaction): what is left is whether an index can bound
 * and order the query — a plan that still scans or sorts has none. (bench/scale.ts records the plans chosen
 * freely at 10⁶.)
 */
async function postgresPlan(store: Store, query: CompiledQuery): Promise<Plan> {
  const rows = await store.transaction(async (tx) => {
    await sql`set local enable_seqscan = off`.execute(tx);
    await sql`set local enable_sort = off`.execute(tx);
    const result = await tx.executeQuery<{ 'QUERY PLAN': [{ Plan: PgNode }] }>(
      CompiledQuery.raw(`explain (format json) ${query.sql}`, [...query.parameters]),
    );
    return result.rows;
  });
  const plan: Plan = { indexes: [], scanned: [], sorted: false, bounds: '', text: '' };
  const bounds: string[] = [];
  const lines: string[] = [];
  const walk = (node: PgNode, depth: number) => {
    const cond = node['Index Cond'];
    if (cond) bounds.push(cond);
    const on = node['Index Name'] ?? node['Relation Name'] ?? '';
    lines.push(`${'  '.repeat(depth)}${node['Node Type']} ${on} ${cond ?? ''}`);
    const index = node['Index Name'];
    if (index) plan.indexes.push(index.endsWith('_pkey') ? `${index.slice(0, -5)}:pk` : index);
    if (node['Node Type'] === 'Seq Scan' && TABLES.includes(node['Relation Name'] ?? ''))
      plan.scanned.push(node['Relation Name'] as string);
    if (node['Node Type'] === 'Sort') plan.sorted = true;
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  const first = rows[0]?.['QUERY PLAN'][0];
  if (first) walk(first.Plan, 0);
  plan.text = lines.join('\n');
  plan.bounds = bounds.join('; ');
  return plan;
}

describeOnEachDialect('query plans at scale', (store) => {
  let actor: Actor;
  let ids: string[];
  let middleCursor: string;

  const planOf = (query: CompiledQuery) =>
    store().db.getExecutor().adapter.constructor.name.startsWith('Postgres')
      ? postgresPlan(store(), query)
      : sqlitePlan(store(), query);

  /**
   * Each captured query reads the given indexes (in any order), scans no media table whole, sorts nothing; with
   * `cursorBound`, the cursor is the end of an index range (not a filter on rows read from the start).
   */
  async function expectIndexed(
    fn: (db: Db) => Promise<unknown>,
    expected: string[][],
    options: { cursorBound?: boolean } = {},
  ) {
    const queries = await capture(store().db, fn);
    expect(queries).toHaveLength(expected.length);
    for (const [i, query] of queries.entries()) {
      const plan = await planOf(query);
      const context = `${query.sql}\n--- plan ---\n${plan.text}`;
      expect(plan.scanned, context).toEqual([]);
      expect(plan.sorted, context).toBe(false);
      for (const index of expected[i] ?? []) expect(plan.indexes, context).toContain(index);
      if (options.cursorBound) expect(plan.bounds, context).toMatch(/created_at/);
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
    await expectIndexed(list({ tags: a, cursor: middleCursor }), [['media_tags_page', 'media:pk']], {
      cursorBound: true,
    });
    await expectIndexed(list({ tags: `${a},${b},${c}`, tag_mode: 'any' }), [
      ['media_tags_page', 'media:pk'],
      ['media_tags_page', 'media:pk'],
      ['media_tags_page', 'media:pk'],
    ]);
    await expectIndexed(list({ tags: `${a},${c}`, tag_mode: 'all', cursor: middleCursor }), [
      ['media_tags_page'],
      ['media_tags_page'],
      ['media_tags_page', 'media:pk'],
    ]);
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
    await expectIndexed((db) => blobOwned(db, `originals/${ids[5]}`), [['media_blob_key']]);
    await expectIndexed((db) => expiredBatch(db, 100), [['media_expiry']]);
  });

  it('lists the namespaces in use by seeking from one to the next', async () => {
    await expectIndexed(
      (db) => ownerMedia.namespaces({ store: { ...store(), db } }, actor.account, 'live'),
      [['media_namespace_page']],
    );
  });
});
