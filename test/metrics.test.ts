import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { PYRAMID_JOB } from '../src/media/pyramid-job.ts';
import { createAccount, grantCredits, mintKey } from './support/fixtures.ts';
import { type HttpsReceiver, startHttpsReceiver, testCertificate } from './support/https-receiver.ts';
import { png } from './support/images.ts';
import { type MediaBody, uploaded } from './support/media-fixtures.ts';
import { freePort, startLightboxProcess } from './support/processes.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/** Every family docs/operations.md lists; each must be in every scrape, on both profiles. */
const FAMILIES = [
  'lightbox_http_requests_total',
  'lightbox_http_request_duration_seconds',
  'lightbox_rendition_requests_total',
  'lightbox_rendition_bounded_total',
  'lightbox_rendition_cache_evictions_total',
  'lightbox_rendition_computed_bytes_total',
  'lightbox_rendition_cache_writes_total',
  'lightbox_rendition_cache_bytes',
  'lightbox_image_work_queue_depth',
  'lightbox_image_work_active',
  'lightbox_image_work_wait_seconds',
  'lightbox_job_queue_jobs',
  'lightbox_job_queue_oldest_waiting_seconds',
  'lightbox_jobs_total',
  'lightbox_job_duration_seconds',
  'lightbox_enhancement_items_total',
  'lightbox_credits_total',
  'lightbox_webhook_attempts_total',
  'lightbox_webhook_attempt_duration_seconds',
  'lightbox_rate_limit_refusals_total',
  'lightbox_metrics_sampling_failures_total',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_seconds',
];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, as far as these tests read it. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match?.[1] || !match[3]) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include `labels`. */
function sampled(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

const token = `metrics_${randomBytes(18).toString('base64url')}`;
const cert = testCertificate();
let server: TestServer;
let source: Awaited<ReturnType<typeof startProductSource>>;
let hook: HttpsReceiver;

beforeAll(async () => {
  [source, hook] = await Promise.all([startProductSource(), startHttpsReceiver(cert)]);
  server = await startTestServer({
    LIGHTBOX_METRICS_TOKEN: token,
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
    LIGHTBOX_RENDITION_CACHE_MB: '1',
    LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE: '100000',
    LIGHTBOX_ENHANCEMENT_READS_PER_MINUTE: '2',
  });
});

afterAll(async () => {
  await server?.close();
  await Promise.all([source?.close(), hook?.close()]);
});

async function scrape(): Promise<Sample[]> {
  const response = await server.request('GET', '/metrics', { headers: { authorization: `Bearer ${token}` } });
  expect(response.status, response.text).toBe(200);
  return parse(response.text);
}

/** Scrapes until `probe` holds (work after a response, such as jobs and cache writes, lands a moment later). */
async function scrapeUntil(probe: (samples: Sample[]) => boolean, what: string): Promise<Sample[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const samples = await scrape();
    if (probe(samples)) return samples;
    if (Date.now() > deadline) throw new Error(`metrics never showed ${what}`);
    await sleep(100);
  }
}

const localSrc = (media: MediaBody, query: string, ext?: string) => {
  const src = new URL(media.src);
  const path = ext ? src.pathname.replace(/\.[a-z]+$/, `.${ext}`) : src.pathname;
  return `${path}?${query}`;
};

describe('/metrics on the main port (LIGHTBOX_METRICS_TOKEN)', () => {
  it('refuses a missing or wrong token with 401, showing no metric', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: token },
      { authorization: `Bearer ${token}x` },
    ];
    for (const headers of attempts) {
      const response = await server.request('GET', '/metrics', { headers });
      expect(response.status).toBe(401);
      expect(response.text).not.toContain('lightbox_');
      expect(response.text).not.toContain('process_');
    }
    const ok = await server.request('GET', '/metrics', { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
  });

  it('lists every family, with help and type', async () => {
    const response = await server.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${token}` },
    });
    for (const family of FAMILIES) {
      expect(response.text, family).toMatch(new RegExp(`^# HELP ${family} \\S`, 'm'));
      expect(response.text, family).toMatch(new RegExp(`^# TYPE ${family} `, 'm'));
    }
  });

  it('counts an upload by route template, its image work, and a cached and an uncached rendition', async () => {
    const before = await scrape();
    const media = await uploaded(server, await png(64, 48));
    const request = { family: 'hosting', route: '/v1/upload', method: 'POST', status: '201' };
    let after = await scrape();
    expect(sampled(after, 'lightbox_http_requests_total', request)).toBe(
      sampled(before, 'lightbox_http_requests_total', request) + 1,
    );
    expect(sampled(after, 'lightbox_http_request_duration_seconds_count', { route: '/v1/upload' })).toBe(
      sampled(before, 'lightbox_http_request_duration_seconds_count', { route: '/v1/upload' }) + 1,
    );
    expect(sampled(after, 'lightbox_image_work_wait_seconds_count')).toBeGreaterThan(
      sampled(before, 'lightbox_image_work_wait_seconds_count'),
    );

    const miss = await server.request('GET', localSrc(media, 'w=30'));
    expect(miss.status).toBe(200);
    after = await scrapeUntil(
      (s) => sampled(s, 'lightbox_rendition_cache_bytes') > sampled(before, 'lightbox_rendition_cache_bytes'),
      'the rendition in the cache',
    );
    expect(sampled(after, 'lightbox_rendition_requests_total', { result: 'miss' })).toBe(
      sampled(before, 'lightbox_rendition_requests_total', { result: 'miss' }) + 1,
    );
    expect(sampled(after, 'lightbox_rendition_computed_bytes_total')).toBeGreaterThan(
      sampled(before, 'lightbox_rendition_computed_bytes_total'),
    );
    // Its cache row is complete, so its blob write is done and counted.
    expect(sampled(after, 'lightbox_rendition_cache_writes_total')).toBe(
      sampled(before, 'lightbox_rendition_cache_writes_total') + 1,
    );
    const hit = await server.request('GET', localSrc(media, 'w=30'));
    expect(hit.status).toBe(200);
    const final = await scrape();
    expect(sampled(final, 'lightbox_rendition_requests_total', { result: 'hit' })).toBe(
      sampled(after, 'lightbox_rendition_requests_total', { result: 'hit' }) + 1,
    );
    // Answered by the src fast path, reported under the src route's template: never the URL, its token or id.
    const src = { family: 'src', route: '/src/:token/:file', method: 'GET', status: '200' };
    expect(sampled(final, 'lightbox_http_requests_total', src)).toBe(
      sampled(before, 'lightbox_http_requests_total', src) + 2,
    );
    const text = (await server.request('GET', '/metrics', { headers: { authorization: `Bearer ${token}` } }))
      .text;
    expect(text).not.toContain(media.id);
    expect(text).not.toContain(new URL(media.src).pathname.split('/')[2] as string);
  });

  it('counts requests no route matches under one label', async () => {
    const before = await scrape();
    for (const path of ['/no/such/route', '/another/one?x=1', `/v1/${randomBytes(8).toString('hex')}`])
      expect((await server.request('GET', path)).status).toBe(404);
    const after = await scrape();
    const unmatched = { route: 'unmatched', status: '404' };
    expect(sampled(after, 'lightbox_http_requests_total', unmatched)).toBe(
      sampled(before, 'lightbox_http_requests_total', unmatched) + 3,
    );
    const routes = new Set(
      after.filter((s) => s.name === 'lightbox_http_requests_total').map((s) => s.labels.route),
    );
    for (const route of routes) expect(route === 'unmatched' || route?.startsWith('/')).toBe(true);
    expect([...routes].some((r) => r?.includes('no/such'))).toBe(false);
  });

  it('counts rendition evictions past LIGHTBOX_RENDITION_CACHE_MB', async () => {
    const noise = await sharp(randomBytes(700 * 700 * 3), { raw: { width: 700, height: 700, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toBuffer();
    const media = await uploaded(server, noise);
    const before = await scrape();
    for (const w of [420, 421, 422, 423]) {
      expect((await server.request('GET', localSrc(media, `w=${w}`, 'png'))).status).toBe(200);
      await sleep(200);
    }
    await scrapeUntil(
      (s) =>
        sampled(s, 'lightbox_rendition_cache_evictions_total') >
        sampled(before, 'lightbox_rendition_cache_evictions_total'),
      'an eviction',
    );
  });

  it('counts jobs, enhancement items by outcome and code, credits and webhook attempts', async () => {
    const before = await scrape();
    const account = await createAccount(server, { verified: true });
    await grantCredits(server, account.id, 200);
    const { key } = await mintKey(server, account.id, { environment: 'live' });
    const created = await server.request('POST', '/api/v1/product-image-enhancements', {
      key,
      headers: { 'idempotency-key': `metrics-${randomBytes(6).toString('hex')}` },
      json: {
        images: [{ source_url: `${source.base}/ok.jpg` }, { source_url: `${source.base}/missing.jpg` }],
        webhook_url: hook.url,
      },
    });
    expect(created.status, created.text).toBe(201);
    const items = (s: Sample[], outcome: string, code: string) =>
      sampled(s, 'lightbox_enhancement_items_total', { outcome, code });
    const after = await scrapeUntil(
      (s) =>
        items(s, 'completed', 'none') > items(before, 'completed', 'none') &&
        items(s, 'failed', 'source_url_unreachable') > items(before, 'failed', 'source_url_unreachable') &&
        sampled(s, 'lightbox_webhook_attempts_total', { outcome: 'delivered' }) >=
          sampled(before, 'lightbox_webhook_attempts_total', { outcome: 'delivered' }) + 3,
      'the batch done and its webhooks delivered',
    );
    expect(items(after, 'completed', 'none') - items(before, 'completed', 'none')).toBe(1);
    expect(
      items(after, 'failed', 'source_url_unreachable') - items(before, 'failed', 'source_url_unreachable'),
    ).toBe(1);
    const moved = (movement: string) =>
      sampled(after, 'lightbox_credits_total', { movement }) -
      sampled(before, 'lightbox_credits_total', { movement });
    expect([moved('reserved'), moved('consumed'), moved('released')]).toEqual([10, 5, 5]);
    const jobs = (s: Sample[], job: string) =>
      sampled(s, 'lightbox_jobs_total', { job_name: job, outcome: 'completed' });
    expect(jobs(after, 'enhancement.start') - jobs(before, 'enhancement.start')).toBe(1);
    expect(jobs(after, 'enhancement.item') - jobs(before, 'enhancement.item')).toBe(2);
    expect(jobs(after, 'webhook.deliver') - jobs(before, 'webhook.deliver')).toBeGreaterThanOrEqual(3);
    expect(
      sampled(after, 'lightbox_job_duration_seconds_count', { job_name: 'enhancement.item' }) -
        sampled(before, 'lightbox_job_duration_seconds_count', { job_name: 'enhancement.item' }),
    ).toBe(2);
    expect(sampled(after, 'lightbox_webhook_attempt_duration_seconds_count')).toBeGreaterThan(
      sampled(before, 'lightbox_webhook_attempt_duration_seconds_count'),
    );
    expect(hook.received.length).toBeGreaterThanOrEqual(3);
  });

  it('samples the job queue per job name and state at scrape time', async () => {
    const before = await scrape();
    const delayed = { job_name: 'media.pyramid', state: 'delayed' };
    await server.services.queue.enqueue(PYRAMID_JOB, { media_id: 'AbCdEfGh' }, { delayMs: 3_600_000 });
    const after = await scrape();
    expect(sampled(after, 'lightbox_job_queue_jobs', delayed)).toBe(
      sampled(before, 'lightbox_job_queue_jobs', delayed) + 1,
    );
    for (const job of ['maintenance.sweep', 'enhancement.item', 'webhook.deliver', 'media.pyramid'])
      expect(
        after.some(
          (s) => s.name === 'lightbox_job_queue_oldest_waiting_seconds' && s.labels.job_name === job,
        ),
      ).toBe(true);
  });

  it('counts rate-limit refusals by limit', async () => {
    const account = await createAccount(server, { verified: true });
    const { key } = await mintKey(server, account.id, { environment: 'test' });
    const before = await scrape();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await server.request('GET', '/api/v1/product-image-enhancements', { key })).status);
    expect(statuses).toContain(429);
    const after = await scrape();
    const refused = statuses.filter((s) => s === 429).length;
    expect(sampled(after, 'lightbox_rate_limit_refusals_total', { limit: 'enhancement_reads' })).toBe(
      sampled(before, 'lightbox_rate_limit_refusals_total', { limit: 'enhancement_reads' }) + refused,
    );
    expect(
      after.some((s) => s.name === 'lightbox_rate_limit_refusals_total' && s.labels.limit?.includes(key)),
    ).toBe(false);
  });
});

describe('/metrics without a token, and on LIGHTBOX_METRICS_PORT', () => {
  it('is not served on the main port when no token is set', async () => {
    const bare = await startTestServer();
    try {
      const response = await bare.request('GET', '/metrics');
      expect(response.status).toBe(404);
      expect(response.text).not.toContain('lightbox_');
    } finally {
      await bare.close();
    }
  });

  it('a serving process answers /metrics on its own loopback port, with the token when one is set', async () => {
    const metricsPort = await freePort();
    const dataDir = `/tmp/lightbox-metrics-port-${randomBytes(6).toString('hex')}`;
    const processed = await startLightboxProcess('all', {
      LIGHTBOX_DATA_DIR: dataDir,
      LIGHTBOX_METRICS_PORT: String(metricsPort),
      LIGHTBOX_METRICS_TOKEN: token,
    });
    try {
      const base = `http://127.0.0.1:${metricsPort}`;
      expect(
        (await fetch(`${processed.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(404);
      const refused = await fetch(`${base}/metrics`);
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain('lightbox_');
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(
        401,
      );
      const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      const text = await ok.text();
      for (const family of FAMILIES) expect(text, family).toContain(`# TYPE ${family} `);
      expect((await fetch(`${base}/other`)).status).toBe(404);
      // The main port's own requests are counted in this process's registry.
      expect(text).toMatch(/lightbox_http_requests_total\{[^}]*route="\/healthz"[^}]*\} [1-9]/);
    } finally {
      await processed.stop();
    }
  }, 60_000);
});
