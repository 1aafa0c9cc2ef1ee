// Soak (issue 17): mixed traffic for a long stretch against real server processes, watching for what only time
// shows — a 5xx that appears once in thousands of requests, memory that creeps.
//
//   npx tsx bench/soak.ts                                  embedded profile, 10 minutes
//   npx tsx bench/soak.ts --profile scale-out              PostgreSQL + Redis + S3 (s3rver), API and worker processes
//   npx tsx bench/soak.ts --minutes 2 --users 4            shorter / lighter
//
// Embedded: one `serve --role all` child on SQLite and local disk. Scale-out: a scratch database on the local
// PostgreSQL, a private redis-server and an s3rver bucket (all loopback), one `serve --role api` and one
// `serve --role worker` child. Both: a loopback HTTPS receiver for the webhooks (self-signed, trusted through
// LIGHTBOX_FETCH_EXTRA_CA_FILE) and a loopback product-photo source for the enhancement batches.
//
// `--users` virtual users (default 4) each loop over a weighted mix: uploads, renditions (a URL the soak has asked
// for before counts as `cached`, a new one as `uncached`), list / get / patch / delete of media, and enhancement
// batches of 1–3 items with a webhook, polled until they end. Every request is timed and its status kept per
// kind. Each server child's resident memory is sampled every 5 s.
//
// Pass: no 5xx and no failed request at all, every batch terminal, a webhook for each, and RSS drift < 10 %: the
// median RSS of the last minute against the median of the first minute after warm-up (the first 20 %, at least
// one minute). Prints Markdown for docs/benchmarks.md; exit code 1 on a miss.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startS3rver } from '../test/support/fake-s3.ts';
import { startHttpsReceiver, testCertificate } from '../test/support/https-receiver.ts';
import { raster } from '../test/support/images.ts';
import { createPostgresDatabase } from '../test/support/postgres.ts';
import { startRedisServer } from '../test/support/processes.ts';
import { startProductSource } from '../test/support/product-source.ts';
import { type Child, freePort, startChild } from './lib/children.ts';
import { fixed, mb, median, percentile, table } from './lib/stats.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: options } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    profile: { type: 'string', default: 'embedded' },
    users: { type: 'string', default: '4' },
  },
});
const MINUTES = Number(options.minutes);
const USERS = Number(options.users);
const PROFILE = options.profile;
if (!(MINUTES > 0) || !(USERS >= 1) || (PROFILE !== 'embedded' && PROFILE !== 'scale-out')) {
  process.stderr.write('usage: bench/soak.ts [--minutes N] [--users N] [--profile embedded|scale-out]\n');
  process.exit(2);
}
const DURATION_MS = MINUTES * 60_000;
const WARMUP_MS = Math.max(60_000, DURATION_MS * 0.2);
/** RSS windows compared: the first after warm-up and the last, each a minute (less on short runs). */
const WINDOW_MS = Math.min(60_000, (DURATION_MS - WARMUP_MS) / 3);
const ADMIN_TOKEN = `soak-admin-${randomBytes(16).toString('hex')}`;
const SECRET = randomBytes(32).toString('hex');
const POOL_MAX = 250;
const POOL_MIN = 30;

type Kind =
  | 'upload'
  | 'rendition-cached'
  | 'rendition-uncached'
  | 'media-list'
  | 'media-get'
  | 'media-patch'
  | 'media-delete'
  | 'enhancement-create'
  | 'enhancement-poll';

interface Tally {
  latencies: number[];
  statuses: Map<number, number>;
  /** Requests that got no answer (connection refused or reset, timeout). */
  failures: string[];
}

const tallies = new Map<Kind, Tally>();
const tally = (kind: Kind): Tally => {
  let t = tallies.get(kind);
  if (!t) {
    t = { latencies: [], statuses: new Map(), failures: [] };
    tallies.set(kind, t);
  }
  return t;
};

/** One timed request; the body is read whole (a rendition's bytes are part of its latency). */
async function timed(
  kind: Kind,
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string } | null> {
  const started = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
    const bytes = Buffer.from(await response.arrayBuffer());
    const t = tally(kind);
    t.latencies.push(performance.now() - started);
    t.statuses.set(response.status, (t.statuses.get(response.status) ?? 0) + 1);
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, body: type.includes('json') ? bytes.toString('utf8') : '' };
  } catch (error) {
    tally(kind).failures.push(`${(error as Error).message} (${url})`);
    return null;
  }
}

interface Servers {
  /** Where API requests go. */
  api: string;
  children: { name: string; child: Child }[];
  close(): Promise<void>;
}

async function startServers(scratch: string, env: Record<string, string>): Promise<Servers> {
  const child = async (name: string, role: string, extra: Record<string, string> = {}) => {
    const port = await freePort();
    const dataDir = path.join(scratch, name);
    await mkdir(dataDir, { recursive: true });
    return {
      name,
      child: await startChild({
        args: [path.join(ROOT, 'bin/lightbox.js'), 'serve', '--role', role],
        cwd: ROOT,
        port,
        probe: '/healthz',
        logFile: path.join(dataDir, 'server.log'),
        timeoutMs: 60_000,
        env: {
          ...env,
          ...extra,
          PORT: String(port),
          LIGHTBOX_HOST: '127.0.0.1',
          LIGHTBOX_DATA_DIR: dataDir,
          ...(role === 'worker' ? {} : { LIGHTBOX_PUBLIC_URL: `http://127.0.0.1:${port}` }),
        },
      }),
    };
  };
  if (PROFILE === 'embedded') {
    const all = await child('all', 'all');
    return { api: all.child.url, children: [all], close: () => all.child.stop() };
  }
  const [pg, redis, s3] = await Promise.all([
    createPostgresDatabase(),
    startRedisServer(),
    startS3rver('lightbox-soak'),
  ]);
  const backends = {
    LIGHTBOX_DATABASE_URL: pg.url,
    LIGHTBOX_REDIS_URL: redis.url,
    LIGHTBOX_S3_BUCKET: 'lightbox-soak',
    LIGHTBOX_S3_ENDPOINT: s3.endpoint,
    LIGHTBOX_S3_ACCESS_KEY_ID: 'S3RVER',
    LIGHTBOX_S3_SECRET_ACCESS_KEY: 'S3RVER',
    LIGHTBOX_S3_FORCE_PATH_STYLE: '1',
  };
  const api = await child('api', 'api', backends);
  // Its public URL must be the API's: result URLs and webhook payloads name it.
  const worker = await child('worker', 'worker', { ...backends, LIGHTBOX_PUBLIC_URL: api.child.url });
  return {
    api: api.child.url,
    children: [api, worker],
    async close() {
      await Promise.all([api.child.stop(), worker.child.stop()]);
      await Promise.all([pg.drop(), redis.stop(), s3.close()]);
    },
  };
}

async function main(): Promise<number> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'lightbox-soak-'));
  const tls = testCertificate();
  const receiver = await startHttpsReceiver(tls);
  const source = await startProductSource();
  const servers = await startServers(scratch, {
    LIGHTBOX_ADMIN_TOKEN: ADMIN_TOKEN,
    LIGHTBOX_SECRET: SECRET,
    LIGHTBOX_LOG_LEVEL: 'warn',
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32,::1/128',
    LIGHTBOX_FETCH_EXTRA_CA_FILE: tls.certFile,
    LIGHTBOX_PLANS: 'soak:1000000:100000000:Soak',
    LIGHTBOX_DEFAULT_PLAN: 'soak',
    LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_KEY: '1000',
    LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_ACCOUNT: '1000',
    LIGHTBOX_ENHANCEMENT_CREATES_PER_MINUTE: '1000000',
    LIGHTBOX_ENHANCEMENT_READS_PER_MINUTE: '1000000',
    LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE: '1000000',
    // Small enough that the run evicts: eviction is part of what must not leak.
    LIGHTBOX_RENDITION_CACHE_MB: '64',
  });
  const api = servers.api;
  const rssSamples = new Map<string, { t: number; rss: number }[]>();
  let stopSampling = false;
  const started = Date.now();
  const sampler = (async () => {
    while (!stopSampling) {
      for (const { name, child } of servers.children) {
        const rss = await child.rss();
        if (rss !== null)
          rssSamples.set(name, [...(rssSamples.get(name) ?? []), { t: Date.now() - started, rss }]);
      }
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
  })();

  try {
    const admin = async (method: string, pathname: string, body: unknown) => {
      const response = await fetch(`${api}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${pathname}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, unknown>;
    };
    const account = await admin('POST', '/admin/v1/accounts', {
      email: `soak-${randomBytes(6).toString('hex')}@example.test`,
      email_verified: true,
      plan: 'soak',
    });
    await admin('POST', `/admin/v1/accounts/${String(account.id)}/credits`, {
      amount: 10_000_000,
      kind: 'purchased',
    });
    const key = String(
      (await admin('POST', `/admin/v1/accounts/${String(account.id)}/keys`, { environment: 'live' })).key,
    );
    const auth = { authorization: `Bearer ${key}` };

    const photos = await Promise.all([
      raster('jpeg', 1600, 1200),
      raster('jpeg', 800, 600),
      raster('png', 640, 480),
      raster('png', 300, 300),
      raster('webp', 1200, 800),
      raster('jpeg', 2400, 1600),
    ]);
    const pool: { id: string; src: string }[] = [];
    const asked = new Set<string>();
    const batches = { created: 0, terminal: 0, stuck: [] as string[], ids: new Set<string>() };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

    const actions: { weight: number; run: () => Promise<void> }[] = [
      {
        weight: 15,
        async run() {
          if (pool.length >= POOL_MAX) return;
          const form = new FormData();
          form.append('tags', pick(['soak', 'soak,red', 'soak,blue,sale']));
          form.append('file', new Blob([new Uint8Array(pick(photos))]), 'photo.bin');
          const r = await timed('upload', `${api}/v1/upload`, { method: 'POST', headers: auth, body: form });
          if (r?.status === 201) {
            const media = JSON.parse(r.body) as { id: string; src: string };
            pool.push({ id: media.id, src: media.src });
          }
        },
      },
      {
        weight: 35,
        async run() {
          if (pool.length === 0) return;
          const media = pick(pool);
          const url = `${media.src}${pick(['', '?w=320', '?w=640', '?size=s', '?w=200&h=200&fit=cover'])}`;
          await timed(asked.has(url) ? 'rendition-cached' : 'rendition-uncached', url);
          asked.add(url);
        },
      },
      {
        weight: 10,
        async run() {
          if (pool.length === 0) return;
          const url = `${pick(pool).src}?w=${100 + Math.floor(Math.random() * 1200)}&q=${50 + Math.floor(Math.random() * 40)}`;
          await timed(asked.has(url) ? 'rendition-cached' : 'rendition-uncached', url);
          asked.add(url);
        },
      },
      {
        weight: 8,
        async run() {
          await timed('media-list', `${api}/v1/media?limit=50${Math.random() < 0.5 ? '&tag=red' : ''}`, {
            headers: auth,
          });
        },
      },
      {
        weight: 7,
        async run() {
          if (pool.length === 0) return;
          await timed('media-get', `${api}/v1/media/${pick(pool).id}`, { headers: auth });
        },
      },
      {
        weight: 8,
        async run() {
          if (pool.length === 0) return;
          await timed('media-patch', `${api}/v1/media/${pick(pool).id}`, {
            method: 'PATCH',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({
              tags: ['soak', pick(['red', 'blue', 'green'])],
              metadata: { n: String(Date.now()) },
            }),
          });
        },
      },
      {
        weight: 6,
        async run() {
          if (pool.length <= POOL_MIN) return;
          const [media] = pool.splice(Math.floor(Math.random() * pool.length), 1);
          if (media)
            await timed('media-delete', `${api}/v1/media/${media.id}`, { method: 'DELETE', headers: auth });
        },
      },
      {
        weight: 6,
        async run() {
          const items = 1 + Math.floor(Math.random() * 3);
          const r = await timed('enhancement-create', `${api}/api/v1/product-image-enhancements`, {
            method: 'POST',
            headers: {
              ...auth,
              'content-type': 'application/json',
              'idempotency-key': randomBytes(12).toString('hex'),
            },
            body: JSON.stringify({
              images: Array.from({ length: items }, (_, i) => ({
                source_url: `${source.base}/p${i}-${Date.now()}.jpg`,
              })),
              webhook_url: receiver.url,
            }),
          });
          if (r?.status !== 201) return;
          const id = (JSON.parse(r.body) as { enhancement: { id: string } }).enhancement.id;
          batches.created++;
          batches.ids.add(id);
          const deadline = Date.now() + 120_000;
          while (Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 500));
            const poll = await timed('enhancement-poll', `${api}/api/v1/product-image-enhancements/${id}`, {
              headers: auth,
            });
            const status =
              poll?.status === 200
                ? (JSON.parse(poll.body) as { enhancement: { status: string } }).enhancement.status
                : '';
            if (['completed', 'partially_completed', 'failed'].includes(status)) {
              batches.terminal++;
              return;
            }
          }
          batches.stuck.push(id);
        },
      },
    ];
    const totalWeight = actions.reduce((sum, a) => sum + a.weight, 0);
    const choose = () => {
      let r = Math.random() * totalWeight;
      for (const action of actions) {
        r -= action.weight;
        if (r < 0) return action;
      }
      return actions[0] as (typeof actions)[number];
    };

    process.stdout.write(`soak: ${PROFILE}, ${MINUTES} min, ${USERS} users, api ${api}\n`);
    const end = started + DURATION_MS;
    const progress = setInterval(() => {
      const done = [...tallies.values()].reduce((sum, t) => sum + t.latencies.length, 0);
      const rss = servers.children.map(({ name }) => `${name} ${mb(rssSamples.get(name)?.at(-1)?.rss ?? 0)}`);
      process.stdout.write(
        `  ${Math.round((Date.now() - started) / 1000)} s: ${done} requests, ${rss.join(', ')}\n`,
      );
    }, 60_000);
    await Promise.all(
      Array.from({ length: USERS }, async () => {
        while (Date.now() < end) await choose().run();
      }),
    );
    clearInterval(progress);
    // Webhooks of the last batches may still be on their way.
    const webhookDeadline = Date.now() + 30_000;
    const delivered = () =>
      new Set(
        receiver.received
          .map((w) => JSON.parse(w.body) as { data?: { enhancement?: { id?: string } } })
          .map((payload) => payload.data?.enhancement?.id),
      );
    while ([...batches.ids].some((id) => !delivered().has(id)) && Date.now() < webhookDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    stopSampling = true;
    await sampler;

    const report = summarize(rssSamples, batches, delivered(), receiver.received.length);
    process.stdout.write(`\n${report.text}\n`);
    return report.pass ? 0 : 1;
  } finally {
    stopSampling = true;
    await servers.close();
    await receiver.close();
    await source.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

function summarize(
  rssSamples: Map<string, { t: number; rss: number }[]>,
  batches: { created: number; terminal: number; stuck: string[]; ids: Set<string> },
  delivered: Set<string | undefined>,
  webhookRequests: number,
): { text: string; pass: boolean } {
  const order: Kind[] = [
    'upload',
    'rendition-cached',
    'rendition-uncached',
    'media-list',
    'media-get',
    'media-patch',
    'media-delete',
    'enhancement-create',
    'enhancement-poll',
  ];
  let serverErrors = 0;
  let failures = 0;
  const rows = order
    .filter((kind) => tallies.has(kind))
    .map((kind) => {
      const t = tally(kind);
      const errors5xx = [...t.statuses].filter(([s]) => s >= 500).reduce((sum, [, n]) => sum + n, 0);
      const other = [...t.statuses]
        .filter(([s]) => s >= 300 && s < 500)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ');
      serverErrors += errors5xx;
      failures += t.failures.length;
      return [
        kind,
        String(t.latencies.length + t.failures.length),
        String(errors5xx),
        String(t.failures.length),
        other || '—',
        fixed(median(t.latencies)),
        fixed(percentile(t.latencies, 95)),
        fixed(percentile(t.latencies, 99)),
        fixed(Math.max(...t.latencies)),
      ];
    });
  const windowMedian = (samples: { t: number; rss: number }[], from: number, to: number) =>
    median(samples.filter((s) => s.t >= from && s.t < to).map((s) => s.rss));
  let worstDrift = 0;
  const rssRows = [...rssSamples].map(([name, samples]) => {
    const last = samples.at(-1)?.t ?? 0;
    const early = windowMedian(samples, WARMUP_MS, WARMUP_MS + WINDOW_MS);
    const late = windowMedian(samples, last - WINDOW_MS, last + 1);
    const drift = (late - early) / early;
    worstDrift = Math.max(worstDrift, drift);
    return [
      name,
      mb(samples[0]?.rss ?? 0),
      mb(early),
      mb(late),
      `${drift >= 0 ? '+' : ''}${fixed(drift * 100)} %`,
      mb(Math.max(...samples.map((s) => s.rss))),
    ];
  });
  const missingWebhooks = [...batches.ids].filter((id) => !delivered.has(id)).length;
  const pass =
    serverErrors === 0 &&
    failures === 0 &&
    batches.stuck.length === 0 &&
    missingWebhooks === 0 &&
    worstDrift < 0.1;
  const firstFailures = [...tallies.values()].flatMap((t) => t.failures).slice(0, 5);
  const text = [
    `Profile **${PROFILE}**, ${MINUTES} min, ${USERS} users (warm-up ${fixed(WARMUP_MS / 60_000)} min; RSS windows ${fixed(WINDOW_MS / 1000, 0)} s).`,
    '',
    table(
      ['kind', 'requests', '5xx', 'no answer', 'other non-2xx', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      rows,
    ),
    '',
    table(['process', 'RSS at start', 'after warm-up', 'at end', 'drift', 'peak'], rssRows),
    '',
    `Enhancement batches: ${batches.created} created, ${batches.terminal} terminal, ${batches.stuck.length} stuck; ` +
      `webhook requests received: ${webhookRequests}, batches without a webhook: ${missingWebhooks}.`,
    ...(firstFailures.length > 0 ? ['', `First failures: ${firstFailures.join('; ')}`] : []),
    '',
    `Result: ${pass ? 'PASS' : 'MISS'} (0 unexpected 5xx: ${serverErrors === 0 ? 'yes' : `no, ${serverErrors}`}; ` +
      `RSS drift < 10 %: ${worstDrift < 0.1 ? 'yes' : 'no'}, worst ${fixed(worstDrift * 100)} %).`,
  ].join('\n');
  return { text, pass };
}

process.exitCode = await main();
