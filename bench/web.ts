// First byte of the web pages (docs/web.md): the dashboard's pages, signed in, for an account holding 10 000
// media (seeded through the store in bulk), against `GET /healthz` measured in the same run, interleaved so
// machine noise hits them alike. Goal (issue 15): ≤ 50 ms for dashboard pages with 10 000 media.
//
//   npx tsx bench/web.ts
//   BENCH_ROUNDS=1000 npx tsx bench/web.ts     more samples
//   BENCH_MEDIA=50000 npx tsx bench/web.ts     a bigger library
//
// A Lightbox child (`serve --role api`, SQLite, scratch data directory, loopback port) with one verified account
// holding five keys, a few batches and credit movements; the bench signs in the way a browser does (the form, the
// mailed link read from the outbox, the Continue POST) and sends the session cookie. The media rows (live and test,
// ten namespaces, two tags each, spread over 90 days) are written into the child's SQLite file by this process
// through the store, 500 to a transaction; their blobs are not needed for the pages' HTML. Time to first byte is
// measured from the request being written to the response head arriving (node:http, one keep-alive connection,
// requests one at a time). Prints median and p95 per page and their ratio to /healthz.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DAY_MS } from '../src/lib/time.ts';
import { newMediaId, newMediaToken } from '../src/media/media-repo.ts';
import type { MediaTable } from '../src/store/database.ts';
import { openStore } from '../src/store/open-store.ts';
import { firstByte, startApiChild } from './lib/api-child.ts';
import { fixed, median, percentile, table } from './lib/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const MEDIA = Number(process.env.BENCH_MEDIA ?? 10_000);
const WARMUP = 30;
const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

async function signedInCookie(url: string): Promise<{ cookie: string; accountId: string }> {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const email = `bench-${randomBytes(4).toString('hex')}@example.test`;
  const account = await (
    await fetch(`${url}/admin/v1/accounts`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ email, email_verified: true }),
    })
  ).json();
  for (const name of ['website', 'ci', 'staging', 'mobile', 'sandbox']) {
    await fetch(`${url}/admin/v1/accounts/${account.id}/keys`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name, environment: name === 'sandbox' ? 'test' : 'live' }),
    });
  }
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  await fetch(`${url}/sign-in`, { method: 'POST', headers: form, body: new URLSearchParams({ email }) });
  const mail = await (
    await fetch(`${url}/admin/v1/outbox?to=${encodeURIComponent(email)}`, { headers: admin })
  ).json();
  const link = mail.data[0].links.find((l: { rel: string }) => l.rel === 'sign-in').url as string;
  const token = new URL(link).searchParams.get('token') ?? '';
  const spent = await fetch(`${url}/sign-in/continue`, {
    method: 'POST',
    headers: form,
    body: new URLSearchParams({ token }),
    redirect: 'manual',
  });
  const cookie = spent.headers.getSetCookie()[0]?.split(';')[0];
  if (!cookie) throw new Error(`sign-in failed: ${spent.status}`);
  for (const amount of [500, 250]) {
    await fetch(`${url}/admin/v1/accounts/${account.id}/credits`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ amount, kind: 'purchased' }),
    });
  }
  return { cookie, accountId: account.id as string };
}

const NAMES = ['Chair', 'Sofa', 'Lamp', 'Table', 'Shelf', 'Rug', 'Mirror', 'Vase', 'Clock', 'Bench'];
const TAGS = ['red', 'blue', 'oak', 'steel', 'sale', 'new', 'studio', 'outdoor'];

/** `count` media rows of the account, newest `now`, written through the store 500 to a transaction. */
async function seedMedia(dataDir: string, accountId: string, count: number): Promise<void> {
  const store = await openStore({ kind: 'sqlite', file: path.join(dataDir, 'lightbox.db') });
  try {
    const now = Date.now();
    for (let start = 0; start < count; start += 500) {
      const rows: MediaTable[] = [];
      const tags: { media_id: string; tag: string }[] = [];
      for (let i = start; i < Math.min(count, start + 500); i++) {
        const id = newMediaId();
        const rowTags = [TAGS[i % TAGS.length] as string, TAGS[(i * 7 + 3) % TAGS.length] as string];
        const unique = [...new Set(rowTags)];
        const at = now - Math.floor((i / count) * 90 * DAY_MS);
        rows.push({
          id,
          account_id: accountId,
          environment: i % 10 === 0 ? 'test' : 'live',
          token: newMediaToken(),
          name: `${NAMES[i % NAMES.length]} ${i}`,
          format: 'jpeg',
          width: 1200,
          height: 900,
          frames: 1,
          filesize: 150_000 + (i % 1000) * 100,
          blob_key: `originals/${id}`,
          namespace: `ns-${i % 10}`,
          tags: JSON.stringify(unique),
          public: 1,
          date: null,
          metadata: '{}',
          expiry_reason: null,
          expires_at: null,
          client_ip: null,
          created_at: at,
          updated_at: at,
          levels: -1,
        });
        for (const tag of unique) tags.push({ media_id: id, tag });
      }
      await store.transaction(async (tx) => {
        await tx.insertInto('media').values(rows).execute();
        await tx.insertInto('media_tags').values(tags).execute();
      });
    }
  } finally {
    await store.close();
  }
}

/**
 * A page of the dashboard's media list. Tried again once when the connection was closed under it: a long seeding
 * leaves fetch's pooled keep-alive connection idle past the server's keep-alive timeout.
 */
async function pageOf(url: string, cookie: string): Promise<{ next_cursor: string }> {
  try {
    return (await (await fetch(url, { headers: { cookie } })).json()) as { next_cursor: string };
  } catch {
    return (await (await fetch(url, { headers: { cookie } })).json()) as { next_cursor: string };
  }
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-web-'));
  const server = await startApiChild({ dataDir, adminToken: ADMIN_TOKEN });
  try {
    const { cookie, accountId } = await signedInCookie(server.url);
    const seeding = performance.now();
    await seedMedia(dataDir, accountId, MEDIA);
    const seeded = performance.now() - seeding;
    const browser = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    const signedIn = { ...browser, cookie };
    // A cursor deep in the library: the page after the first half of it.
    let cursor = (await pageOf(`${server.url}/dashboard/api/media?limit=100`, cookie)).next_cursor;
    for (let i = 1; i < Math.floor((MEDIA * 0.9) / 2 / 100); i++) {
      cursor = (await pageOf(`${server.url}/dashboard/api/media?limit=100&cursor=${cursor}`, cookie))
        .next_cursor;
    }
    const n = MEDIA.toLocaleString('en-US');
    const targets: { name: string; path: string; headers: Record<string, string> }[] = [
      { name: '`GET /healthz` (baseline)', path: '/healthz', headers: {} },
      { name: '`GET /`', path: '/', headers: browser },
      { name: '`GET /dashboard`', path: '/dashboard', headers: signedIn },
      { name: '`GET /keys` (5 keys)', path: '/keys', headers: signedIn },
      { name: `\`GET /media\` (${n} media: first 60)`, path: '/media', headers: signedIn },
      {
        name: '`GET /media?cursor=…` (half-way down)',
        path: `/media?cursor=${encodeURIComponent(cursor)}`,
        headers: signedIn,
      },
      { name: '`GET /media?name=chair` (name contains)', path: '/media?name=chair', headers: signedIn },
      {
        name: '`GET /media?namespace=ns-3&tags=oak`',
        path: '/media?namespace=ns-3&tags=oak',
        headers: signedIn,
      },
      { name: '`GET /dashboard/api/media` (JSON, 60)', path: '/dashboard/api/media', headers: { cookie } },
      { name: '`GET /enhancements`', path: '/enhancements', headers: signedIn },
      { name: '`GET /usage` (ledger, plan)', path: '/usage', headers: signedIn },
      {
        name: `\`GET /dashboard/api/usage/series?days=90\``,
        path: '/dashboard/api/usage/series?days=90',
        headers: { cookie },
      },
    ];
    const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      // Alternate who goes first, so no page always follows the same one.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const { ms, status } = await firstByte(agent, `${server.url}${target.path}`, target.headers);
        if (status !== 200) throw new Error(`${target.path} answered ${status}`);
        if (round >= WARMUP) samples.get(target.name)?.push(ms);
      }
    }
    const base = median(samples.get(targets[0]?.name ?? '') ?? []);
    const rows = targets.map((t) => {
      const values = samples.get(t.name) ?? [];
      const m = median(values);
      return [
        t.name,
        `${fixed(m, 2)} ms`,
        `${fixed(percentile(values, 95), 2)} ms`,
        `${fixed(m / base, 1)} ×`,
      ];
    });
    console.log(
      `${n} media seeded in ${fixed(seeded / 1000, 1)} s; ${ROUNDS} rounds (after ${WARMUP} warm-up), time to first byte, one keep-alive connection\n`,
    );
    console.log(table(['request', 'median', 'p95', 'median / healthz'], rows));
  } finally {
    agent.destroy();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
