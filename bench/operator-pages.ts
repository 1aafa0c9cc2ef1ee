// First byte of the operator pages (docs/web.md, "Operator pages") on a large installation, against `GET /healthz`
// measured in the same run, with and without the indexes of migration 0011-operator-status.
//
//   npx tsx bench/operator-pages.ts
//   BENCH_ITEMS=1000000 BENCH_ROUNDS=100 npx tsx bench/operator-pages.ts
//
// Seeds a SQLite data directory in-process (every migration applied): BENCH_ACCOUNTS accounts (20 000), one
// enhancement per 50 items with BENCH_ITEMS items (300 000, 5 % failed), one webhook event with one attempt per
// item (5 % out of retries), a ledger of 200 entries and 1 000 mails. Then starts a `serve --role api` child on it,
// signs in with the admin token through the form, and measures time to first byte (one keep-alive connection,
// requests one at a time, interleaved, 5 warm-up rounds) of each operator page. It does so twice: first with the
// indexes of 0011 dropped (the reads as they were before it), then with them back.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { operatorStatus } from '../src/store/migrations/0011-operator-status.ts';
import { openStore } from '../src/store/open-store.ts';
import { firstByte, startApiChild } from './lib/api-child.ts';
import { fixed, median, percentile, table } from './lib/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const WARMUP = 5;
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 20_000);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 300_000);
const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const BATCH = 400;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

async function insertBatched<T>(
  count: number,
  make: (i: number) => T,
  insert: (rows: T[]) => Promise<unknown>,
) {
  for (let start = 0; start < count; start += BATCH) {
    const rows: T[] = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) rows.push(make(i));
    await insert(rows);
  }
}

/** The seeded installation; returns the account the detail pages look at. */
async function seed(file: string): Promise<{ accountId: string; search: string }> {
  const store = await openStore({ kind: 'sqlite', file });
  const now = Date.now();
  const accountId = (i: number) => `acc_bench${String(i).padStart(8, '0')}`;
  await store.transaction(async (tx) => {
    await insertBatched(
      ACCOUNTS,
      (i) => ({
        id: accountId(i),
        email: `customer${i}@shop${i % 97}.example`,
        email_verified: 1,
        plan: 'free',
        registration_policy: 'approval' as const,
        suspended: 0,
        payment_risk: 0,
        paid_available: 0,
        paid_reserved: 0,
        lifetime_purchased: 0,
        promotional: 0,
        created_at: now - (ACCOUNTS - i) * 60_000,
        updated_at: now,
      }),
      (rows) => tx.insertInto('accounts').values(rows).execute(),
    );
    const enhancements = Math.ceil(ITEMS / 50);
    await insertBatched(
      enhancements,
      (i) => ({
        id: `enh-${i}`,
        account_id: accountId(i % ACCOUNTS),
        key_id: 'key_bench',
        environment: 'live' as const,
        status: 'partially_completed' as const,
        preset: 'ecommerce_white',
        preservation_level: 'balanced' as const,
        instructions: null,
        webhook_url: 'https://hooks.example/lightbox',
        signing_key_hash: 'x',
        total_items: 50,
        completed_items: 47,
        failed_items: 3,
        items_with_warnings: 0,
        credits_reserved: 0,
        credits_used: 0,
        sandbox: 0,
        request_id: `req_${i}`,
        seq: `enh_${String(i).padStart(10, '0')}`,
        created_at: now - (enhancements - i) * 1000,
        updated_at: now - (enhancements - i) * 1000,
        completed_at: now,
      }),
      (rows) => tx.insertInto('enhancements').values(rows).execute(),
    );
    await insertBatched(
      ITEMS,
      (i) => ({
        id: `item-${i}`,
        enhancement_id: `enh-${Math.floor(i / 50)}`,
        position: i % 50,
        external_id: null,
        source_url: `https://shop.example/p/${i}.jpg`,
        status: i % 20 === 0 ? ('failed' as const) : ('completed' as const),
        result_media_id: null,
        thumbnail_media_id: null,
        error_code: i % 20 === 0 ? 'source_url_unreachable' : null,
        error_message: i % 20 === 0 ? 'The source answered 404.' : null,
        provider: null,
        credits_reserved: 0,
        credits_used: 0,
        attempts: 1,
        created_at: now - (ITEMS - i) * 20,
        updated_at: now - (ITEMS - i) * 20,
        warnings: '[]',
      }),
      (rows) => tx.insertInto('enhancement_items').values(rows).execute(),
    );
    await insertBatched(
      ITEMS,
      (i) => ({
        id: `evt_bench${i}`,
        account_id: accountId(Math.floor(i / 50) % ACCOUNTS),
        enhancement_id: `enh-${Math.floor(i / 50)}`,
        type: 'enhancement.item.completed',
        endpoint_url: 'https://hooks.example/lightbox',
        payload: '{}',
        signing_key_hash: 'x',
        status: i % 20 === 0 ? ('failed' as const) : ('delivered' as const),
        attempts: 1,
        next_attempt_at: null,
        sending_until: null,
        delivered_at: i % 20 === 0 ? null : now,
        created_at: now - (ITEMS - i) * 20,
      }),
      (rows) => tx.insertInto('webhook_events').values(rows).execute(),
    );
    await insertBatched(
      ITEMS,
      (i) => ({
        id: `att-${i}`,
        event_id: `evt_bench${i}`,
        attempt: 1,
        outcome: i % 20 === 0 ? ('http_error' as const) : ('delivered' as const),
        status_code: i % 20 === 0 ? 500 : 200,
        latency_ms: 80,
        error: null,
        response_excerpt: null,
        created_at: now - (ITEMS - i) * 20,
      }),
      (rows) => tx.insertInto('webhook_attempts').values(rows).execute(),
    );
    await insertBatched(
      200,
      (i) => ({
        id: `led_${String(i).padStart(6, '0')}`,
        account_id: accountId(0),
        type: 'grant' as const,
        kind: 'purchased' as const,
        amount: 10,
        balance_after: 10 * (i + 1),
        enhancement_id: null,
        note: `grant ${i}`,
        created_at: now - (200 - i) * 60_000,
      }),
      (rows) => tx.insertInto('ledger_entries').values(rows).execute(),
    );
    await insertBatched(
      1000,
      (i) => ({
        id: `mail_${String(i).padStart(6, '0')}`,
        to_email: `customer${i}@shop${i % 97}.example`,
        subject: 'Sign in to Lightbox',
        body: 'Open this link to sign in: https://lightbox.example/sign-in/continue?token=x',
        links: JSON.stringify([{ rel: 'sign-in', url: 'https://lightbox.example/sign-in/continue?token=x' }]),
        created_at: now - (1000 - i) * 1000,
        sent_at: null,
      }),
      (rows) => tx.insertInto('outbox').values(rows).execute(),
    );
  });
  await store.close();
  return { accountId: accountId(0), search: 'shop42.example' };
}

async function setIndexes(file: string, present: boolean): Promise<void> {
  const store = await openStore({ kind: 'sqlite', file });
  if (present) {
    await operatorStatus.up(store.db as Kysely<unknown>);
  } else {
    for (const name of [
      'enhancement_items_failed',
      'webhook_events_recent',
      'webhook_events_account',
      'webhook_events_status',
      'accounts_recent',
    ]) {
      await store.db.schema.dropIndex(name).ifExists().execute();
    }
  }
  await store.close();
}

/** Signs in as a browser does: the admin token typed into the form; returns the operator cookie. */
async function operatorCookie(url: string): Promise<string> {
  const signedIn = await fetch(`${url}/admin/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: ADMIN_TOKEN }),
    redirect: 'manual',
  });
  const cookie = signedIn.headers.getSetCookie()[0]?.split(';')[0];
  if (!cookie) throw new Error(`operator sign-in failed: ${signedIn.status}`);
  return cookie;
}

async function measure(
  url: string,
  targets: { name: string; path: string; headers: Record<string, string> }[],
) {
  const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const { ms, status } = await firstByte(agent, `${url}${target.path}`, target.headers);
      if (status !== 200) throw new Error(`${target.path} answered ${status}`);
      if (round >= WARMUP) samples.get(target.name)?.push(ms);
    }
  }
  return samples;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-operator-'));
  const file = path.join(dataDir, 'lightbox.db');
  try {
    const seeded = Date.now();
    const { accountId, search } = await seed(file);
    console.log(
      `seeded ${ACCOUNTS} accounts, ${ITEMS} items and webhook events in ${fixed((Date.now() - seeded) / 1000)} s`,
    );
    const results: { indexes: string; samples: Map<string, number[]>; names: string[] }[] = [];
    for (const present of [false, true]) {
      await setIndexes(file, present);
      const server = await startApiChild({ dataDir, adminToken: ADMIN_TOKEN });
      try {
        const headers = { accept: 'text/html', cookie: await operatorCookie(server.url) };
        const targets = [
          { name: '`GET /healthz` (baseline)', path: '/healthz', headers: {} },
          { name: '`GET /admin` (status)', path: '/admin', headers },
          { name: '`GET /admin/accounts`', path: '/admin/accounts', headers },
          { name: '`GET /admin/accounts?q=` (substring)', path: `/admin/accounts?q=${search}`, headers },
          { name: '`GET /admin/accounts/{id}`', path: `/admin/accounts/${accountId}`, headers },
          { name: '`GET /admin/webhooks`', path: '/admin/webhooks', headers },
          {
            name: '`GET /admin/webhooks?account_id=`',
            path: `/admin/webhooks?account_id=${accountId}`,
            headers,
          },
          { name: '`GET /admin/outbox`', path: '/admin/outbox', headers },
        ];
        results.push({
          indexes: present ? 'with' : 'without',
          samples: await measure(server.url, targets),
          names: targets.map((t) => t.name),
        });
      } finally {
        await server.stop();
      }
    }
    console.log(
      `\n${ROUNDS} rounds (after ${WARMUP} warm-up), time to first byte, one keep-alive connection\n`,
    );
    const [without, withIndexes] = results;
    const rows = (withIndexes?.names ?? []).map((name) => {
      const a = without?.samples.get(name) ?? [];
      const b = withIndexes?.samples.get(name) ?? [];
      const base = median(withIndexes?.samples.get(withIndexes.names[0] ?? '') ?? []);
      return [
        name,
        `${fixed(median(a), 2)} ms`,
        `${fixed(median(b), 2)} ms`,
        `${fixed(percentile(b, 95), 2)} ms`,
        `${fixed(median(b) / base, 1)} ×`,
      ];
    });
    console.log(
      table(
        ['request', 'median without 0011', 'median with 0011', 'p95 with 0011', 'median / healthz'],
        rows,
      ),
    );
  } finally {
    agent.destroy();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
