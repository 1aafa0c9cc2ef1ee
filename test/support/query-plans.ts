// The query plans of the queries code issues: captured while calling it (a Kysely plugin compiles each one), then
// EXPLAINed on SQLite (`explain query plan`) or PostgreSQL (`explain (format json)`). Used by the query-plan test
// (src/media/query-plans.test.ts, src/enhancements/query-plans.test.ts) and bench/scale.ts.
import { CompiledQuery, type KyselyPlugin, sql } from 'kysely';
import type { Db, Store } from '../../src/store/store.ts';

/** The SQL (with parameters) of every query `fn` issues, in order. */
export async function captureQueries(db: Db, fn: (db: Db) => Promise<unknown>): Promise<CompiledQuery[]> {
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

export interface Plan {
  /** Indexes the plan reads, by name (primary keys as `<table>:pk`). */
  indexes: string[];
  /** Tables read whole (a full table or full index scan). */
  scanned: string[];
  sorted: boolean;
  /** What bounds the index reads (SQLite's `SEARCH … (…)` constraints, PostgreSQL's `Index Cond`). */
  bounds: string;
  text: string;
}

/** Tables whose full scan a plan reports (those that grow with a library). */
const TABLES = ['media', 'media_tags', 'media_totals', 'enhancements', 'enhancement_items'];

async function sqlitePlan(store: Store, query: CompiledQuery): Promise<Plan> {
  const { rows } = await store.db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
  );
  const details = rows.map((r) => r.detail);
  const indexes = details.flatMap((d) => {
    const named = /USING (?:COVERING )?INDEX (\w+)/.exec(d)?.[1];
    if (!named) return [];
    const pk = /^sqlite_autoindex_(\w+)_1$/.exec(named)?.[1];
    return [pk ? `${pk}:pk` : named];
  });
  // SQLite names tables by their alias in the query (`"media" as "r"`); the media queries' usual aliases when the
  // SQL does not say.
  const aliases: Record<string, string> = {
    m: 'media',
    t: 'media_tags',
    o: 'media_tags',
    ...Object.fromEntries(
      [...query.sql.matchAll(/"(\w+)" as "(\w+)"/g)].map(([, table, alias]) => [alias, table]),
    ),
  };
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
 * With `priceOutScans`, seq scans and sorts are priced out (`enable_seqscan`, `enable_sort` off for this
 * transaction): at test size PostgreSQL's costs rightly prefer reading a small table whole, and what the test asks
 * is whether an index can bound and order the query — a plan that still scans or sorts has none.
 */
async function postgresPlan(store: Store, query: CompiledQuery, priceOutScans: boolean): Promise<Plan> {
  const rows = await store.transaction(async (tx) => {
    if (priceOutScans) {
      await sql`set local enable_seqscan = off`.execute(tx);
      await sql`set local enable_sort = off`.execute(tx);
    }
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
    // Primary keys by their table, whatever the constraint is called (`media_pkey`, `media_tags_media_tag_pk`).
    // (A bitmap index scan names no relation: its primary key is `<table>_pkey`.)
    if (index)
      plan.indexes.push(
        /_pk(ey)?$/.test(index) ? `${node['Relation Name'] ?? index.replace(/_pkey$/, '')}:pk` : index,
      );
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

/** The plan of one captured query on the store's dialect. */
export function planOf(
  store: Store,
  query: CompiledQuery,
  options: { priceOutScans?: boolean } = {},
): Promise<Plan> {
  return store.db.getExecutor().adapter.constructor.name.startsWith('Postgres')
    ? postgresPlan(store, query, options.priceOutScans ?? false)
    : sqlitePlan(store, query);
}
