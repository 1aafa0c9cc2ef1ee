// Issue 19: request cost independent of library size. One account grows 10³ → 10⁶ synthetic media (shaped like
// real uploads: 50 namespaces, 0–5 tags of 200, three years of dates, 20 % private) and one enhancement batch per
// 20 media (1–20 items, mostly completed, a tenth in the test environment; test/support/synthetic-enhancements.ts),
// bulk-loaded through the store's own insert while a `lightbox serve` child serves it; at each size every request of the issue is timed
// (median, p95 over --runs), with the server's event-loop delay (perf_hooks.monitorEventLoopDelay, read from
// /metrics), a cached `src` timed while a slow-class request runs beside it, and the plan each query uses.
//
//   npx tsx bench/scale.ts [--dialect sqlite|postgres|both] [--sizes 1000,10000,100000,1000000] [--runs 30]
//                          [--sweep <media>] [--sweep-only] [--no-write]
//
// --sweep N: after the last size, N media expire at once and the server's own maintenance sweep removes them while
// a cached `src` is timed (section `## Scale: sweeping expired media (issue 19)`); --sweep-only skips the timed
// requests and their section.
//
// Writes the `## Scale (issue 19)` section of docs/benchmarks.md unless --no-write.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import type { Actor } from '../src/accounts/authenticate.ts';
import { storageUsed } from '../src/accounts/usage.ts';
import type { DatabaseConfig } from '../src/config/config.ts';
import { getEnhancement, listEnhancements } from '../src/enhancements/enhancement-reads.ts';
import { type ListQuery, listMediaRows, ownedMedia } from '../src/media/media-queries.ts';
import { findMedia, ownedBlobKeys } from '../src/media/media-repo.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Db, Store } from '../src/store/store.ts';
import { jpeg } from '../test/support/images.ts';
import { createPostgresDatabase } from '../test/support/postgres.ts';
import { captureQueries, planOf } from '../test/support/query-plans.ts';
import { loadSyntheticEnhancements } from '../test/support/synthetic-enhancements.ts';
import { loadSyntheticMedia, syntheticNamespace, syntheticTag } from '../test/support/synthetic-media.ts';
import { startLightbox } from './lib/lightbox.ts';
import { fixed, median, percentile, table } from './lib/stats.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    dialect: { type: 'string', default: 'both' },
    sizes: { type: 'string', default: '1000,10000,100000,1000000' },
    runs: { type: 'string', default: '30' },
    sweep: { type: 'string', default: '0' },
    'sweep-only': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});
const SIZES = (args.sizes as string).split(',').map(Number);
const RUNS = Number(args.runs);
/** Media expired at once after the last size, then swept by the server's own maintenance job (0: no sweep phase). */
const SWEEP = Number(args.sweep);
const DIALECTS = args.dialect === 'both' ? ['sqlite', 'postgres'] : [args.dialect as string];
const METRICS_TOKEN = `bench-metrics-${randomBytes(16).toString('hex')}`;
const ANY_TAGS = [syntheticTag(2), syntheticTag(60), syntheticTag(150)];
const ALL_TAGS = [syntheticTag(1), syntheticTag(9)];
/**
 * A pair that shares ~1 % of the media: a page of 5 is full at 10³ already. With the pair above a 10³ library holds
 * ~2 matches and a 10⁶ one a full page of 50, so its ratio also counts 48 more media in the answer; this row and
 * the namespace row of 5 compare the same work at every size.
 */
const COMMON_PAIR = [syntheticTag(0), syntheticTag(1)];
const ENHANCEMENTS = '/api/v1/product-image-enhancements';

/** The list requests whose page may hold fewer media at a small size, by their row names. */
const LIST_QUERIES = (cursor: string) => ({
  'namespace page': `limit=50&namespace=${syntheticNamespace(3)}&cursor=${cursor}`,
  'tags all': `limit=50&tags=${ALL_TAGS.join(',')}&tag_mode=all`,
  'tags all, common pair': `limit=5&tags=${COMMON_PAIR.join(',')}&tag_mode=all`,
  'namespace, 5 a page': `limit=5&namespace=${syntheticNamespace(3)}&cursor=${cursor}`,
});

interface Timing {
  median: number;
  p95: number;
}
interface Cell {
  size: number;
  loadSeconds: number;
  timings: Map<string, Timing>;
  loopP99: number;
  loopMax: number;
  idleP99: number;
  cachedSrc: Timing & { max: number };
  plans: Map<string, string>;
}

/**
 * `fetch`, tried again once when the pooled keep-alive connection was closed under it (a long load leaves it idle
 * past the server's keep-alive timeout).
 */
async function fetchOnce(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    return fetch(url, init);
  }
}

/** Elapsed milliseconds of one request, body read; throws on an unexpected status. */
async function timed(url: string, init: RequestInit, expect: number): Promise<number> {
  const start = performance.now();
  const response = await fetchOnce(url, init);
  const text = await response.text();
  const ms = performance.now() - start;
  if (response.status !== expect)
    throw new Error(`${init.method ?? 'GET'} ${url} → ${response.status}: ${text}`);
  return ms;
}

function summary(values: number[]): Timing {
  return { median: median(values), p95: percentile(values, 95) };
}

/** The server's event-loop delay since the last scrape (prom-client resets its histogram on every collect). */
async function eventLoop(url: string): Promise<{ p99: number; max: number }> {
  const text = await (
    await fetchOnce(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    p99: value('nodejs_eventloop_lag_p99_seconds') * 1000,
    max: value('nodejs_eventloop_lag_max_seconds') * 1000,
  };
}

/**
 * An idle Node process measuring its own event-loop delay the same way (resolution 10 ms, as prom-client's
 * monitor): what the shared machine alone does to the number. Node records whole sampling intervals, so even an
 * idle loop reads ≥ 10 ms.
 */
function idleLoopBaseline(): { stop(): Promise<{ p99: number; max: number }> } {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 }); h.enable();
       process.stdin.on('end', () => { process.stdout.write(JSON.stringify({ p99: h.percentile(99) / 1e6, max: h.max / 1e6 })); process.exit(0); });
       process.stdin.resume();`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return {
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () =>
          resolve(JSON.parse(out || '{"p99":null,"max":null}') as { p99: number; max: number }),
        );
        child.stdin.end();
      }),
  };
}

/** One line per plan: the indexes it reads and how (SQLite SEARCH lines, PostgreSQL node types). */
async function plansOf(store: Store, calls: Record<string, (db: Db) => Promise<unknown>>) {
  const plans = new Map<string, string>();
  for (const [name, call] of Object.entries(calls)) {
    const queries = await captureQueries(store.db, call);
    const described: string[] = [];
    for (const query of queries) {
      const plan = await planOf(store, query);
      const flags = [
        plan.scanned.length > 0 ? `SCAN ${plan.scanned.join(',')}` : '',
        plan.sorted ? 'SORT' : '',
      ]
        .filter(Boolean)
        .join(' ');
      described.push(`${[...new Set(plan.indexes)].join(' + ') || 'no index'}${flags ? ` (${flags})` : ''}`);
    }
    plans.set(name, described.join('; '));
  }
  return plans;
}

async function runDialect(dialect: string): Promise<{ cells: Cell[]; sweep: SweepResult | undefined }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-scale-'));
  const pgDb = dialect === 'postgres' ? await createPostgresDatabase() : undefined;
  const databaseUrl = pgDb ? pgDb.url : `sqlite://${path.join(dataDir, 'lightbox.db')}`;
  const config: DatabaseConfig = pgDb
    ? { kind: 'postgres', url: pgDb.url }
    : { kind: 'sqlite', file: path.join(dataDir, 'lightbox.db') };
  const serve = (sweepSeconds: number) =>
    startLightbox({
      repo: ROOT,
      dataDir,
      env: {
        LIGHTBOX_DATABASE_URL: databaseUrl,
        LIGHTBOX_METRICS_TOKEN: METRICS_TOKEN,
        // Room for a million media of up to 5 MB and every upload of the run.
        LIGHTBOX_PLANS: 'bench:10000000:100000000:Bench',
        LIGHTBOX_DEFAULT_PLAN: 'bench',
        LIGHTBOX_LOG_LEVEL: 'warn',
        LIGHTBOX_SWEEP_INTERVAL_SECONDS: String(sweepSeconds),
        // The enhancement reads of every size (3 requests × (warm-up + runs)) would spend the per-key read rate
        // (600 per minute) within a minute at --runs ≥ 100; 429s would time the limiter, not the reads.
        LIGHTBOX_ENHANCEMENT_READS_PER_MINUTE: '1000000',
      },
    });
  // No maintenance sweep in the middle of a timed cell (it would run between the loads anyway).
  let server = await serve(86400);
  const store = await openStore(config, { migrate: false });
  const cells: Cell[] = [];
  let probeSrc = '';
  let sweep: SweepResult | undefined;
  try {
    const account = await store.db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
    const actor: Actor = { account, key: { environment: 'live' } };
    // The bench key is a live key of a verified account: what the enhancement API accepts (as the enhancement
    // suites' keys, test/support/enhancement-fixtures.ts). The synthetic batches are the ones it created.
    const apiKey = await store.db
      .selectFrom('api_keys')
      .select('id')
      .where('account_id', '=', account.id)
      .executeTakeFirstOrThrow();
    const auth = { authorization: `Bearer ${server.key}` };
    const url = server.url;
    const photo = await jpeg(64, 48);
    const upload = async () => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'bench.jpg');
      const start = performance.now();
      const response = await fetchOnce(`${url}/v1/upload`, { method: 'POST', headers: auth, body: form });
      const body = (await response.json()) as { id: string; src: string };
      if (response.status !== 201) throw new Error(`upload → ${response.status}`);
      return { ms: performance.now() - start, ...body };
    };
    // A real upload whose `src` gets cached: the delivery probe while other requests run.
    const probe = await upload();
    const srcUrl = probe.src;
    probeSrc = probe.src;
    await timed(srcUrl, {}, 200);

    let loaded = 0;
    for (const size of SIZES) {
      const started = performance.now();
      const mediaIds = await loadSyntheticMedia(store, account.id, size - loaded, {
        seed: size,
        onBatch: (n) => {
          if (n % 100_000 === 0) console.log(`  ${dialect}: ${loaded + n} loaded`);
        },
      });
      await loadSyntheticEnhancements(store, account.id, mediaIds, { seed: size + 1, keyId: apiKey.id });
      loaded = size;
      const loadSeconds = (performance.now() - started) / 1000;
      // What the server's own upkeep does by itself: SQLite `optimize` (at open and in the maintenance sweep),
      // PostgreSQL's autovacuum (VACUUM sets the visibility map index-only scans rely on, ANALYZE the statistics).
      // Done here at once instead of waited for.
      // The load's WAL is checkpointed, as the writes of a running server would have been by now.
      if (dialect === 'sqlite') {
        await store.optimize();
        await sql`pragma wal_checkpoint(truncate)`.execute(store.db);
      } else await sql`vacuum analyze`.execute(store.db);
      console.log(`${dialect} ${size}: loaded in ${fixed(loadSeconds)} s`);
      if (args['sweep-only']) continue;

      // Fixtures from the library as loaded: a cursor in the middle, ids spread over it, media to GET/PATCH/DELETE.
      const middle = await store.db
        .selectFrom('media')
        .select(['created_at', 'id'])
        .where('account_id', '=', account.id)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .offset(Math.floor(size / 2))
        .limit(1)
        .executeTakeFirstOrThrow();
      const cursor = Buffer.from(`${middle.created_at}:${middle.id}`).toString('base64url');
      const sample = await store.db
        .selectFrom('media')
        .select('id')
        .where('account_id', '=', account.id)
        .where('public', '=', 1)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .offset(Math.floor(size / 3))
        .limit(RUNS + 50)
        .execute();
      const ids = sample.map((r) => r.id);
      const someIds = ids.slice(0, 10).join(',');
      const target = ids[10] as string;
      const doomed = ids.slice(20, 20 + RUNS + 3);
      // The enhancement list's middle (its cursor is the batch's `seq`) and a batch of 10+ items there to GET.
      const batches = await store.db
        .selectFrom('enhancements')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', account.id)
        .where('environment', '=', 'live')
        .executeTakeFirstOrThrow();
      const middleBatch = await store.db
        .selectFrom('enhancements')
        .select('seq')
        .where('account_id', '=', account.id)
        .where('environment', '=', 'live')
        .orderBy('seq', 'desc')
        .offset(Math.floor(Number(batches.n) / 2))
        .limit(1)
        .executeTakeFirstOrThrow();
      const batchCursor = Buffer.from(middleBatch.seq).toString('base64url');
      const batch = await store.db
        .selectFrom('enhancements')
        .select('id')
        .where('account_id', '=', account.id)
        .where('environment', '=', 'live')
        .where('total_items', '>=', 10)
        .where('seq', '<', middleBatch.seq)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();

      const list = (query: string) => () => timed(`${url}/v1/media?${query}`, { headers: auth }, 200);
      const paged = LIST_QUERIES(cursor);
      const requests: Record<string, () => Promise<number>> = {
        'POST /v1/upload': async () => (await upload()).ms,
        'GET /v1/usage': () => timed(`${url}/v1/usage`, { headers: auth }, 200),
        'DELETE /v1/media/{id}': () =>
          timed(`${url}/v1/media/${doomed.pop()}`, { method: 'DELETE', headers: auth }, 200),
        'list, first page': list('limit=50'),
        'list from a middle cursor': list(`limit=50&cursor=${cursor}`),
        'namespace page (middle cursor)': list(paged['namespace page']),
        'namespace page, 5 a page (middle cursor)': list(paged['namespace, 5 a page']),
        'tags=a,b&tag_mode=all': list(paged['tags all']),
        'tags all, 5 a page (common pair)': list(paged['tags all, common pair']),
        'tags=a,b,c (any)': list(`limit=50&tags=${ANY_TAGS.join(',')}&tag_mode=any`),
        'ids= (10 ids)': list(`limit=50&ids=${someIds}`),
        'GET /v1/media/{id}': () => timed(`${url}/v1/media/${target}`, { headers: auth }, 200),
        'PATCH /v1/media/{id}': () =>
          timed(
            `${url}/v1/media/${target}`,
            {
              method: 'PATCH',
              headers: { ...auth, 'content-type': 'application/json' },
              body: JSON.stringify({ name: `renamed-${randomBytes(3).toString('hex')}` }),
            },
            200,
          ),
        'enhancement list, first page': () => timed(`${url}${ENHANCEMENTS}?limit=50`, { headers: auth }, 200),
        'enhancement list from a middle cursor': () =>
          timed(`${url}${ENHANCEMENTS}?limit=50&cursor=${batchCursor}`, { headers: auth }, 200),
        'GET enhancement {id} (with its items)': () =>
          timed(`${url}${ENHANCEMENTS}/${batch.id}`, { headers: auth }, 200),
      };

      await eventLoop(url);
      const idle = idleLoopBaseline();
      const timings = new Map<string, Timing>();
      // How many media each list answers at this size (the page-fill effect above).
      const listed: string[] = [];
      for (const [name, query] of Object.entries(paged)) {
        const response = await fetchOnce(`${url}/v1/media?${query}`, { headers: auth });
        listed.push(`${name} ${((await response.json()) as { data: unknown[] }).data.length}`);
      }
      console.log(`  media on the page: ${listed.join(', ')}`);
      for (const [name, request] of Object.entries(requests)) {
        for (let i = 0; i < 3 && !name.startsWith('DELETE'); i++) await request();
        const values: number[] = [];
        for (let i = 0; i < RUNS; i++) values.push(await request());
        timings.set(name, summary(values));
      }
      // A cached `src` sent while a slow-class request (usage, a middle page, tags all, an upload) is in flight.
      const heavy = [
        requests['GET /v1/usage'],
        requests['list from a middle cursor'],
        requests['tags=a,b&tag_mode=all'],
        requests['POST /v1/upload'],
      ] as (() => Promise<number>)[];
      const srcTimes: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const other = (heavy[i % heavy.length] as () => Promise<number>)();
        srcTimes.push(await timed(srcUrl, {}, 200));
        await other;
      }
      const loop = await eventLoop(url);
      const idleLoop = await idle.stop();

      const query = (q: Partial<ListQuery>) => (db: Db) => listMediaRows(db, actor, { limit: 50, ...q });
      const middleCursor = { cursor };
      const plans = await plansOf(store, {
        'GET /v1/usage, quota check': (db) => storageUsed(db, account.id),
        'list, first page': query({}),
        'list from a middle cursor': query(middleCursor),
        'namespace page': query({ namespace: syntheticNamespace(3), ...middleCursor }),
        'tags all': query({ tags: ALL_TAGS.join(','), tag_mode: 'all' }),
        'tags any': query({ tags: ANY_TAGS.join(','), tag_mode: 'any' }),
        'ids=': query({ ids: someIds }),
        'GET /v1/media/{id}': (db) => findMedia(db, target),
        'PATCH / DELETE lookup': (db) => ownedMedia(db, actor, target),
        'blob GC owner lookup': (db) => ownedBlobKeys(db, [`originals/${target}`]),
        'enhancement list, first page': (db) => listEnhancements({ db }, actor, { limit: 50 }),
        'enhancement list from a middle cursor': (db) =>
          listEnhancements({ db }, actor, { limit: 50, cursor: batchCursor }),
        'GET enhancement {id}: batch; items with result media': (db) =>
          getEnhancement({ db, srcBase: url }, actor, batch.id),
      });
      cells.push({
        size,
        loadSeconds,
        timings,
        loopP99: loop.p99,
        loopMax: loop.max,
        idleP99: idleLoop.p99,
        cachedSrc: { ...summary(srcTimes), max: Math.max(...srcTimes) },
        plans,
      });
      console.log(
        table(
          ['request', 'median ms', 'p95 ms'],
          [...timings].map(([name, t]) => [name, fixed(t.median, 2), fixed(t.p95, 2)]),
        ),
      );
      console.log(
        `event loop p99 ${fixed(loop.p99)} ms, max ${fixed(loop.max)} ms; cached src p95 ${fixed(percentile(srcTimes, 95), 2)} ms`,
      );
    }
    if (SWEEP > 0) {
      // The retention sweep and blob collection at scale, run by the server itself (a sweep every 10 s, which also
      // reconciles the account's totals) on SWEEP media expired at once, while a cached `src` is fetched.
      await server.stop();
      const account = await store.db.selectFrom('accounts').select('id').executeTakeFirstOrThrow();
      const now = Date.now();
      await store.db
        .updateTable('media')
        .set({ expires_at: now - 1000, expiry_reason: 'ttl' })
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('media')
            .select('id')
            .where('account_id', '=', account.id)
            .where('expires_at', 'is', null)
            .orderBy('created_at')
            .limit(SWEEP),
        )
        .execute();
      server = await serve(10);
      sweep = await measureSweep(store, server.url, probeSrc);
    }
  } finally {
    await store.close();
    await server.stop();
    await pgDb?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return { cells, sweep };
}

interface SweepResult {
  expired: number;
  seconds: number;
  src: Timing & { p99: number; max: number; count: number };
  loopP99: number;
  loopMax: number;
}

/** Cached `src` fetched back to back until the server's sweep has deleted every expired media and owed blob. */
async function measureSweep(store: Store, url: string, src: string): Promise<SweepResult> {
  const probe = new URL(src);
  const srcUrl = `${url}${probe.pathname}${probe.search}`;
  await timed(srcUrl, {}, 200);
  const remaining = async () => {
    const media = await store.db
      .selectFrom('media')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('expires_at', '<=', Date.now())
      .executeTakeFirstOrThrow();
    const garbage = await store.db
      .selectFrom('blob_garbage')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(media.n) + Number(garbage.n);
  };
  const expired = await remaining();
  await eventLoop(url);
  const started = performance.now();
  const times: number[] = [];
  let checked = started;
  for (;;) {
    times.push(await timed(srcUrl, {}, 200));
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (performance.now() - checked > 1000) {
      checked = performance.now();
      if ((await remaining()) === 0 || checked - started > 600_000) break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const loop = await eventLoop(url);
  console.log(`sweep of ${expired} rows and markers: ${fixed(seconds)} s`);
  return {
    expired,
    seconds,
    src: { ...summary(times), p99: percentile(times, 99), max: Math.max(...times), count: times.length },
    loopP99: loop.p99,
    loopMax: loop.max,
  };
}

function report(results: Map<string, Cell[]>): string {
  const lines = [
    SCALE_HEADING,
    '',
    `\`npx tsx bench/scale.ts --dialect ${args.dialect} --sizes ${args.sizes} --runs ${RUNS}\` on ${new Date().toISOString().slice(0, 10)}, ` +
      `${cpus().length} cores (load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' / ',
        )} at the end, the benchmark included; an idle process's event-loop delay is the last row): ` +
      'the ratios compare sizes measured in the same run. One account, ' +
      'one connection, requests one at a time (each preceded by 3 warm-up requests); the server is a `lightbox serve` ' +
      'child. Statistics refreshed after each load as the server and database would by themselves (SQLite `PRAGMA optimize`, PostgreSQL VACUUM ANALYZE as autovacuum does).',
    '',
  ];
  for (const [dialect, cells] of results) {
    const first = cells[0];
    const last = cells.at(-1);
    if (!first || !last) continue;
    lines.push(`### ${dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`, '');
    lines.push(
      `Loading (media and one enhancement batch per 20 media): ${cells.map((c) => `${c.size.toLocaleString('en-US')} in ${fixed(c.loadSeconds)} s`).join(', ')} (cumulative: each size adds to the previous).`,
      '',
    );
    const header = [
      'request',
      ...cells.map((c) => `${c.size.toExponential(0).replace('e+', 'e')} median / p95 ms`),
      `ratio ${last.size.toExponential(0).replace('e+', 'e')}/${first.size.toExponential(0).replace('e+', 'e')}`,
    ];
    const rows = [...first.timings.keys()].map((name) => {
      const base = first.timings.get(name)?.median ?? Number.NaN;
      const top = last.timings.get(name)?.median ?? Number.NaN;
      return [
        name,
        ...cells.map(
          (c) =>
            `${fixed(c.timings.get(name)?.median ?? Number.NaN, 2)} / ${fixed(c.timings.get(name)?.p95 ?? Number.NaN, 2)}`,
        ),
        `${fixed(top / base, 2)}×`,
      ];
    });
    rows.push([
      'cached `src` beside a slow-class request (max)',
      ...cells.map(
        (c) =>
          `${fixed(c.cachedSrc.median, 2)} / ${fixed(c.cachedSrc.p95, 2)} (${fixed(c.cachedSrc.max, 1)})`,
      ),
      `${fixed(last.cachedSrc.median / first.cachedSrc.median, 2)}×`,
    ]);
    rows.push([
      'server event-loop delay p99 / max (ms)',
      ...cells.map((c) => `${fixed(c.loopP99, 1)} / ${fixed(c.loopMax, 1)}`),
      '',
    ]);
    rows.push(['idle Node process beside it, p99 (ms)', ...cells.map((c) => fixed(c.idleP99, 1)), '']);
    lines.push(table(header, rows), '');
    lines.push(
      `Plans at ${last.size.toLocaleString('en-US')} (chosen freely by the planner; docs/query-plans.md):`,
      '',
    );
    lines.push(
      table(
        ['query', 'indexes read'],
        [...last.plans].map(([name, plan]) => [name, plan]),
      ),
      '',
    );
  }
  return lines.join('\n');
}

const SCALE_HEADING = '## Scale (issue 19)';
const SWEEP_HEADING = '## Scale: sweeping expired media (issue 19)';

/** Replaces the section under `heading` (or appends it), leaving everything else alone. */
async function writeSection(file: string, heading: string, section: string) {
  let text = await readFile(file, 'utf8');
  const start = text.split('\n').findIndex((line) => line.trim() === heading);
  if (start !== -1) {
    const lines = text.split('\n');
    const next = lines.findIndex((line, i) => i > start && line.startsWith('## '));
    const after = next === -1 ? [] : lines.slice(next);
    text = [...lines.slice(0, start), section.trimEnd(), ...(after.length > 0 ? ['', ...after] : [])].join(
      '\n',
    );
  } else text = `${text.trimEnd()}\n\n${section.trimEnd()}\n`;
  await writeFile(file, text.endsWith('\n') ? text : `${text}\n`);
}

function sweepReport(sweeps: Map<string, SweepResult>): string {
  const lines = [
    SWEEP_HEADING,
    '',
    `\`npx tsx bench/scale.ts --dialect ${args.dialect} --sizes ${args.sizes} --sweep ${SWEEP}\`: after the last size, ` +
      `${SWEEP.toLocaleString('en-US')} media expired at once; the server's own maintenance sweep (every 10 s; it also reconciles the account's totals) deletes ` +
      'them in batches and collects their blob markers while a cached `src` is fetched back to back (10 ms apart). ' +
      `${cpus().length} shared cores (load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')}).`,
    '',
    table(
      [
        'dialect',
        'rows + markers',
        'swept in',
        'cached src median / p95 / p99 / max ms (n)',
        'event-loop p99 / max ms',
      ],
      [...sweeps].map(([dialect, r]) => [
        dialect,
        r.expired.toLocaleString('en-US'),
        `${fixed(r.seconds)} s`,
        `${fixed(r.src.median, 2)} / ${fixed(r.src.p95, 2)} / ${fixed(r.src.p99, 2)} / ${fixed(r.src.max, 1)} (${r.src.count})`,
        `${fixed(r.loopP99, 1)} / ${fixed(r.loopMax, 1)}`,
      ]),
    ),
    '',
  ];
  return lines.join('\n');
}

async function main() {
  const results = new Map<string, Cell[]>();
  const sweeps = new Map<string, SweepResult>();
  for (const dialect of DIALECTS) {
    const { cells, sweep } = await runDialect(dialect);
    results.set(dialect, cells);
    if (sweep) sweeps.set(dialect, sweep);
  }
  const sections: [string, string][] = args['sweep-only'] ? [] : [[SCALE_HEADING, report(results)]];
  if (sweeps.size > 0) sections.push([SWEEP_HEADING, sweepReport(sweeps)]);
  for (const [heading, section] of sections) {
    console.log(section);
    if (!args['no-write']) {
      await writeSection(path.join(ROOT, 'docs/benchmarks.md'), heading, section);
      console.log(`wrote ${heading} to docs/benchmarks.md`);
    }
  }
}

await main();
