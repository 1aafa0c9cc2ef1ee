// First byte of the web pages (docs/web.md): the dashboard's pages (`/dashboard`, `/keys`, signed in) and `/`,
// against `GET /healthz` measured in the same run, interleaved so machine noise hits them alike.
//
//   npx tsx bench/web.ts
//   BENCH_ROUNDS=1000 npx tsx bench/web.ts     more samples
//
// A Lightbox child (`serve --role api`, SQLite, scratch data directory, loopback port) with one verified account
// holding five keys; the bench signs in the way a browser does (the form, the mailed link read from the outbox, the
// Continue POST) and sends the session cookie. Time to first byte is measured from the request being written to
// the response head arriving (node:http, one keep-alive connection, requests one at a time). Prints median and
// p95 per page and their ratio to /healthz. The 10 000-media goal of the issue belongs to the media grid page,
// which does not exist yet.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Child, freePort, startChild } from './lib/children.ts';
import { fixed, median, percentile, table } from './lib/stats.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const WARMUP = 30;
const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

async function startServer(dataDir: string): Promise<Child> {
  const port = await freePort();
  return startChild({
    args: [path.join(ROOT, 'bin/lightbox.js'), 'serve', '--role', 'api'],
    cwd: ROOT,
    port,
    probe: '/healthz',
    logFile: path.join(dataDir, 'server.log'),
    timeoutMs: 60_000,
    env: {
      PORT: String(port),
      LIGHTBOX_HOST: '127.0.0.1',
      LIGHTBOX_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LIGHTBOX_DATA_DIR: dataDir,
      LIGHTBOX_ADMIN_TOKEN: ADMIN_TOKEN,
      LIGHTBOX_LOG_LEVEL: 'warn',
    },
  });
}

/** Milliseconds from sending the request to the response head (the first byte); the body is drained after. */
function firstByte(url: string, headers: Record<string, string>): Promise<{ ms: number; status: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { agent, headers }, (res) => {
      const ms = performance.now() - started;
      res.resume();
      res.on('end', () => resolve({ ms, status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function signedInCookie(url: string): Promise<string> {
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
  return cookie;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-web-'));
  const server = await startServer(dataDir);
  try {
    const cookie = await signedInCookie(server.url);
    const browser = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    const targets = [
      { name: '`GET /healthz` (baseline)', path: '/healthz', headers: {} },
      { name: '`GET /`', path: '/', headers: browser },
      { name: '`GET /dashboard` (signed in)', path: '/dashboard', headers: { ...browser, cookie } },
      { name: '`GET /keys` (signed in, 5 keys)', path: '/keys', headers: { ...browser, cookie } },
    ];
    const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      // Alternate who goes first, so no page always follows the same one.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const { ms, status } = await firstByte(`${server.url}${target.path}`, target.headers);
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
      `${ROUNDS} rounds (after ${WARMUP} warm-up), time to first byte, one keep-alive connection\n`,
    );
    console.log(table(['request', 'median', 'p95', 'median / healthz'], rows));
  } finally {
    agent.destroy();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
