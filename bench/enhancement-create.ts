// Latency of POST /api/v1/product-image-enhancements (docs/api.md §3.2): N sequential creates of a 20-image batch, each
// with its own Idempotency-Key, against a Lightbox child process. The create does the whole synchronous part of the
// API: auth, schema, idempotency record, eligibility, credits reservation, active limit, 21 rows and the enqueue.
//
//   npx tsx bench/enhancement-create.ts
//   BENCH_CREATES=500 npx tsx bench/enhancement-create.ts     more samples
//
// The child runs `serve --role api` (no worker, so batches stay queued and nothing is downloaded) on a scratch data
// directory and a loopback port, with the active and rate limits raised out of the way. Baselines measured in the
// same run, interleaved with the creates so that machine noise hits all three alike:
//   - `GET /healthz`: the HTTP round trip and the framework, no database;
//   - an idempotent replay of one create: auth + schema + the idempotency lookup, no writes.
// Prints median / p95 / p99 of each and the ratios. Exit code 1 when the create median misses the 25 ms budget.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApiChild } from './lib/api-child.ts';
import { percentile } from './lib/stats.ts';

const CREATES = Number(process.env.BENCH_CREATES ?? 200);
const WARMUP = 20;
const IMAGES = 20;
const CREDITS_PER_IMAGE = 5;
const BUDGET_MEDIAN_MS = 25;
const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;

const ms = (value: number) => value.toFixed(2).padStart(7);

const startServer = (dataDir: string) =>
  startApiChild({
    dataDir,
    adminToken: ADMIN_TOKEN,
    env: {
      LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_KEY: '1000',
      LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_ACCOUNT: '1000',
      LIGHTBOX_ENHANCEMENT_CREATES_PER_MINUTE: '1000000',
      LIGHTBOX_ENHANCEMENT_READS_PER_MINUTE: '1000000',
    },
  });

async function main(): Promise<number> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-create-'));
  const server = await startServer(dataDir);
  const { url } = server;
  try {
    const call = async (
      method: string,
      pathname: string,
      token: string | null,
      body?: unknown,
      headers = {},
    ) => {
      const started = performance.now();
      const response = await fetch(`${url}${pathname}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, text, ms: performance.now() - started, headers: response.headers };
    };
    const admin = async (method: string, pathname: string, body?: unknown) => {
      const response = await call(method, pathname, ADMIN_TOKEN, body);
      if (response.status >= 300)
        throw new Error(`${method} ${pathname} → ${response.status}: ${response.text}`);
      return JSON.parse(response.text) as Record<string, unknown>;
    };

    const account = await admin('POST', '/admin/v1/accounts', {
      email: `bench-${randomBytes(6).toString('hex')}@example.test`,
      email_verified: true,
    });
    const accountId = String(account.id);
    const batchCost = IMAGES * CREDITS_PER_IMAGE;
    await admin('POST', `/admin/v1/accounts/${accountId}/credits`, {
      amount: (CREATES + WARMUP + 1) * batchCost,
      kind: 'purchased',
    });
    const key = String(
      (await admin('POST', `/admin/v1/accounts/${accountId}/keys`, { environment: 'live' })).key,
    );

    // A typical client batch: 20 images with SKUs, a preset and instructions (never fetched: no worker runs).
    const batch = (n: number) => ({
      images: Array.from({ length: IMAGES }, (_, i) => ({
        source_url: `https://cdn.example.com/catalog/${n}/sku-${i}.jpg`,
        external_id: `sku-${n}-${i}`,
      })),
      preset: 'marketplace_clean_catalog',
      preservation_level: 'strict',
      instructions: 'Keep the label and the cap colour exactly as photographed.',
    });
    const create = async (n: number, idempotencyKey: string, body = batch(n)) => {
      const response = await call('POST', '/api/v1/product-image-enhancements', key, body, {
        'idempotency-key': idempotencyKey,
      });
      return response;
    };

    const replayKey = `bench-replay-${randomBytes(8).toString('hex')}`;
    const replayBody = batch(-1);
    const first = await create(-1, replayKey, replayBody);
    if (first.status !== 201) throw new Error(`create → ${first.status}: ${first.text}`);

    for (let i = 0; i < WARMUP; i++) {
      const warm = await create(-100 - i, `bench-warm-${i}-${randomBytes(6).toString('hex')}`);
      if (warm.status !== 201) throw new Error(`warm-up create → ${warm.status}: ${warm.text}`);
      await call('GET', '/healthz', null);
      await create(-1, replayKey, replayBody);
    }

    const samples = { create: [] as number[], healthz: [] as number[], replay: [] as number[] };
    for (let i = 0; i < CREATES; i++) {
      const health = await call('GET', '/healthz', null);
      if (health.status !== 200) throw new Error(`healthz → ${health.status}`);
      samples.healthz.push(health.ms);

      const created = await create(i, `bench-${i}-${randomBytes(6).toString('hex')}`);
      if (created.status !== 201) throw new Error(`create ${i} → ${created.status}: ${created.text}`);
      samples.create.push(created.ms);

      const replay = await create(-1, replayKey, replayBody);
      if (replay.status !== 200 || replay.headers.get('idempotent-replayed') !== 'true') {
        throw new Error(`replay → ${replay.status}: ${replay.text}`);
      }
      samples.replay.push(replay.ms);
    }

    // The books after the run: every create reserved its batch, nothing else moved.
    const after = (await admin('GET', `/admin/v1/accounts/${accountId}`)).credits as Record<string, number>;
    const expectedReserved = (CREATES + WARMUP + 1) * batchCost;
    if (after.paid_reserved !== expectedReserved || after.paid_available !== 0) {
      throw new Error(`unexpected balances after the run: ${JSON.stringify(after)}`);
    }

    const rows = (['create', 'replay', 'healthz'] as const).map((name) => {
      const values = samples[name];
      return { name, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
    });
    const [createRow, replayRow, healthRow] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
    const database = process.env.LIGHTBOX_DATABASE_URL?.startsWith('postgres') ? 'PostgreSQL' : 'SQLite';
    console.log(
      `\nPOST /api/v1/product-image-enhancements — ${CREATES} sequential creates of ${IMAGES} images ` +
        `(live key, ${database}, role api), interleaved with the baselines\n`,
    );
    console.log('| request                        | median ms | p95 ms  | p99 ms  |');
    console.log('| ------------------------------ | --------- | ------- | ------- |');
    const label = {
      create: 'create (201, 20 images)',
      replay: 'idempotent replay (200)',
      healthz: 'GET /healthz',
    };
    for (const row of rows) {
      console.log(`| ${label[row.name].padEnd(30)} | ${ms(row.p50)}   | ${ms(row.p95)} | ${ms(row.p99)} |`);
    }
    console.log(
      `\ncreate median = ${(createRow.p50 / healthRow.p50).toFixed(1)} × GET /healthz, ` +
        `${(createRow.p50 / replayRow.p50).toFixed(1)} × replay`,
    );
    const pass = createRow.p50 < BUDGET_MEDIAN_MS;
    console.log(
      `${pass ? 'PASS' : 'FAIL'}: create median ${createRow.p50.toFixed(2)} ms (budget < ${BUDGET_MEDIAN_MS} ms)\n`,
    );
    return pass ? 0 : 1;
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
