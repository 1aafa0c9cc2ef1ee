// `lightbox/client` against a live server: every method, the typed errors of both families, and the retry rules.
// Imported by its package name, as an application would (package.json `exports`).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  EnhancementApiError,
  HostingApiError,
  LightboxClient,
  LightboxNetworkError,
  RETRYABLE_CODES,
  renditionUrl,
} from 'lightbox/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../src/errors/catalog.ts';
import { accountWithKey, createAccount, mintKey, uniqueEmail } from './support/fixtures.ts';
import { jpeg, png } from './support/images.ts';
import { freePort } from './support/processes.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let sources: Awaited<ReturnType<typeof startProductSource>>;
let dir: string;

beforeAll(async () => {
  sources = await startProductSource();
  dir = await mkdtemp(path.join(tmpdir(), 'lightbox-client-'));
  server = await startTestServer({
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_PLANS: 'free:100:5120:Free,tiny:1:5120:Tiny',
    LIGHTBOX_ENHANCEMENT_CREATES_PER_MINUTE: '60',
    LIGHTBOX_ENHANCEMENT_READS_PER_MINUTE: '60',
  });
});

afterAll(async () => {
  await server?.close();
  await sources?.close();
});

/** A client on the test server with a fresh account's key, and a log of every request it sends. */
async function clientFor(
  options: { environment?: 'live' | 'test'; plan?: string; maxRetries?: number } = {},
) {
  const account = await createAccount(server, {
    verified: true,
    ...(options.plan ? { plan: options.plan } : {}),
  });
  const { key } = await mintKey(server, account.id, { environment: options.environment ?? 'live' });
  const sent: { method: string; url: string; headers: Headers; at: number }[] = [];
  const client = new LightboxClient({
    baseUrl: server.url,
    apiKey: key,
    maxRetries: options.maxRetries ?? 2,
    fetch: async (input, init) => {
      sent.push({
        method: init?.method ?? 'GET',
        url: String(input),
        headers: new Headers(init?.headers),
        at: Date.now(),
      });
      return fetch(input, init);
    },
  });
  return { client, key, sent };
}

async function thrown<T extends Error>(promise: Promise<unknown>): Promise<T> {
  try {
    await promise;
  } catch (error) {
    return error as T;
  }
  throw new Error('expected a rejection');
}

describe('hosting', () => {
  it('keys.create makes an account and a working key', async () => {
    const anonymous = new LightboxClient({ baseUrl: server.url });
    const created = await anonymous.keys.create({ email: uniqueEmail(), name: 'laptop' });
    expect(created).toMatchObject({
      status: 'active',
      verified: false,
      key: expect.stringMatching(/^img_live_/),
    });
    expect(created.limits.uploads).toBeGreaterThan(0);
    const usage = await new LightboxClient({ baseUrl: server.url, apiKey: created.key }).usage();
    expect(usage).toMatchObject({ plan: 'free', verified: false, uploads: { used: 0 } });
  });

  it('uploads a path, a Buffer and a Blob with fields, metadata and progress', async () => {
    const { client } = await clientFor();
    const file = path.join(dir, 'from-disk.png');
    await writeFile(file, await png(64, 48));
    const progress: [number, number][] = [];
    const fromPath = await client.upload(file, {
      tags: ['a', 'b'],
      namespace: 'client-test',
      metadata: { sku: 'x1' },
      onProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(fromPath).toMatchObject({
      name: 'from-disk.png',
      format: 'png',
      width: 64,
      tags: ['a', 'b'],
      namespace: 'client-test',
      metadata: { sku: 'x1' },
    });
    const last = progress.at(-1);
    expect(last?.[0]).toBe(last?.[1]);
    expect(progress.length).toBeGreaterThan(1);

    const fromBuffer = await client.upload(await jpeg(30, 20), {
      filename: 'buf.jpg',
      public: false,
      ttl: '1h',
    });
    expect(fromBuffer).toMatchObject({ name: 'buf.jpg', format: 'jpeg', public: false });
    expect(fromBuffer.expires_at).toBeGreaterThan(Date.now() / 1000);

    const fromBlob = await client.upload(new Blob([new Uint8Array(await png(10, 10))]), { name: 'blob' });
    expect(fromBlob).toMatchObject({ name: 'blob', width: 10 });
  });

  it('uploads anonymously without a key (with the upgrade hint)', async () => {
    const media = await new LightboxClient({ baseUrl: server.url }).upload(await jpeg(), {
      filename: 'anon.jpg',
    });
    expect(media.upgrade?.type).toBe('register');
    expect(media.expires_at).not.toBeNull();
  });

  it('imports from a URL', async () => {
    const { client } = await clientFor();
    const media = await client.import({ url: `${sources.base}/product.jpg`, name: 'imported', tags: 'x,y' });
    expect(media).toMatchObject({ name: 'imported', format: 'jpeg', tags: ['x', 'y'] });
    const error = await thrown<HostingApiError>(client.import({ url: `${sources.base}/missing.jpg` }));
    expect(error).toBeInstanceOf(HostingApiError);
    expect(error).toMatchObject({ family: 'hosting', status: 502, code: 'fetch_failed' });
  });

  it('lists, pages, gets, updates and deletes media, single and bulk', async () => {
    const { client } = await clientFor();
    const made = [];
    for (const tag of ['red', 'red', 'blue']) made.push(await client.upload(await jpeg(), { tags: [tag] }));
    const [a, b, c] = made.map((m) => m.id) as [string, string, string];

    const page = await client.media.list({ limit: 2 });
    expect(page.data.map((m) => m.id)).toEqual([c, b]);
    expect(page.pagination.has_more).toBe(true);
    const all = [];
    for await (const media of client.media.iterate({ limit: 1 })) all.push(media.id);
    expect(all).toEqual([c, b, a]);
    expect((await client.media.list({ tags: ['red'] })).data.map((m) => m.id)).toEqual([b, a]);
    expect((await client.media.list({ ids: [a, c] })).data).toHaveLength(2);

    expect((await client.media.get(a)).id).toBe(a);
    const updated = await client.media.update(a, { name: 'renamed', tags: ['green'], tag_mode: 'add' });
    expect(updated).toMatchObject({ name: 'renamed', tags: ['red', 'green'] });
    const bulk = await client.media.updateMany([b, 'nope0000'], { public: false });
    expect(bulk.data.map((m) => [m.id, m.public])).toEqual([[b, false]]);
    expect(bulk.errors).toEqual([expect.objectContaining({ id: 'nope0000', error: 'not_found' })]);

    expect(await client.media.delete(a)).toEqual({ id: a, deleted: true });
    const removed = await client.media.deleteMany([b, c, 'nope0000']);
    expect(removed.data.map((d) => d.id).sort()).toEqual([b, c].sort());
    expect(removed.errors.map((e) => e.id)).toEqual(['nope0000']);
    expect((await client.media.list()).data).toEqual([]);
    expect((await thrown<HostingApiError>(client.media.get(a))).code).toBe('not_found');
  });

  it('usage reports uploads and storage', async () => {
    const { client } = await clientFor();
    await client.upload(await jpeg());
    const usage = await client.usage();
    expect(usage).toMatchObject({ plan: 'free', verified: true, uploads: { used: 1, limit: 100 } });
    expect(usage.storage.used_bytes).toBeGreaterThan(0);
  });

  it('builds rendition URLs the server delivers', async () => {
    const { client } = await clientFor();
    const media = await client.upload(await png(200, 100));
    const url = client.renditionUrl(media, { w: 50, fit: 'cover', q: 80, format: 'webp' });
    expect(url).toMatch(/\.webp\?w=50&fit=cover&q=80$/);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/webp');
    expect(renditionUrl(media.src, { size: 'social' })).toBe(`${media.src}?size=social`);
    expect(() => renditionUrl(media, { w: 0 })).toThrow(RangeError);
    expect(() => renditionUrl(media, { q: 101 })).toThrow(RangeError);
  });
});

describe('typed errors', () => {
  it('hosting errors carry field errors, usage and action, and the request id', async () => {
    const { client } = await clientFor({ plan: 'tiny' });
    const invalid = await thrown<HostingApiError>(client.upload(await jpeg(), { namespace: 'Not Valid' }));
    expect(invalid).toBeInstanceOf(HostingApiError);
    expect(invalid).toMatchObject({ status: 422, code: 'validation_error' });
    expect(invalid.errors?.namespace?.[0]).toMatch(/lowercase/);
    expect(invalid.request_id).toMatch(/^req_/);

    await client.upload(await jpeg());
    const quota = await thrown<HostingApiError>(client.upload(await jpeg()));
    expect(quota).toMatchObject({
      status: 403,
      code: 'quota_exceeded',
      usage: { plan: 'tiny', uploads_limit: 1 },
    });
    expect(quota.action?.type).toBeDefined();
  });

  it('a refused key is a 401 in each family', async () => {
    const bad = new LightboxClient({ baseUrl: server.url, apiKey: 'img_live_notarealkey' });
    expect(await thrown<HostingApiError>(bad.usage())).toMatchObject({ status: 401, code: 'unauthorized' });
    const error = await thrown<EnhancementApiError>(bad.enhancements.list());
    expect(error).toBeInstanceOf(EnhancementApiError);
    expect(error).toMatchObject({ family: 'enhancement', status: 401, code: 'invalid_api_key' });
    await expect(new LightboxClient({ baseUrl: server.url }).usage()).rejects.toThrow(/needs an API key/);
  });

  it('enhancement errors carry the published codes', async () => {
    const { client } = await clientFor({ environment: 'test' });
    expect(await thrown<EnhancementApiError>(client.enhancements.get('not-a-uuid'))).toMatchObject({
      status: 400,
      code: 'invalid_enhancement_id',
    });
    const body = { images: [{ source_url: `${sources.base}/product.jpg` }] };
    await client.enhancements.create(body, { idempotencyKey: 'conflict-key-1' });
    const conflict = await thrown<EnhancementApiError>(
      client.enhancements.create(
        { ...body, preservation_level: 'creative' },
        { idempotencyKey: 'conflict-key-1' },
      ),
    );
    expect(conflict).toMatchObject({ status: 409, code: 'idempotency_conflict' });
  });

  it('the retryable codes are the catalog’s', () => {
    const retryable = Object.entries(catalog)
      .filter(([, entry]) => entry.retryable)
      .map(([code]) => code)
      .sort();
    expect([...RETRYABLE_CODES].sort()).toEqual(retryable);
  });
});

describe('enhancements', () => {
  it('presets, create (generated key, replay), get, list and wait', async () => {
    const { client, sent } = await clientFor({ environment: 'test' });
    const { presets } = await client.enhancements.presets();
    expect(presets.map((p) => p.id)).toContain('single_product_white_background');

    const body = {
      images: [
        { source_url: `${sources.base}/product.jpg`, external_id: 'sku-1' },
        { source_url: `${sources.base}/x.jpg#simulate=download_timeout` },
      ],
    };
    const created = await client.enhancements.create(body);
    expect(created.idempotencyKey).toMatch(/^[A-Za-z0-9._:-]{8,160}$/);
    expect(created).toMatchObject({ replayed: false, enhancement: { total_items: 2, sandbox: true } });
    const replay = await client.enhancements.create(body, { idempotencyKey: created.idempotencyKey });
    expect(replay).toMatchObject({ replayed: true, enhancement: { id: created.enhancement.id } });
    const keys = sent.filter((r) => r.method === 'POST').map((r) => r.headers.get('idempotency-key'));
    expect(keys).toEqual([created.idempotencyKey, created.idempotencyKey]);

    const updates: string[] = [];
    const done = await client.enhancements.wait(created.enhancement.id, {
      intervalMs: 200,
      timeoutMs: 60_000,
      onUpdate: (answer) => updates.push(answer.enhancement.status),
    });
    expect(done.enhancement.status).toBe('partially_completed');
    expect(updates.at(-1)).toBe('partially_completed');
    const [ok, failed] = done.enhancement.items;
    expect(ok).toMatchObject({ external_id: 'sku-1', status: 'completed' });
    expect((await fetch(ok?.result_url ?? '')).status).toBe(200);
    expect(failed).toMatchObject({ status: 'failed', error_code: 'download_timeout' });

    expect((await client.enhancements.get(created.enhancement.id)).enhancement.id).toBe(
      created.enhancement.id,
    );
    const listed = await client.enhancements.list({ status: 'partially_completed' });
    expect(listed.enhancements.map((e) => e.id)).toEqual([created.enhancement.id]);
    const iterated = [];
    for await (const summary of client.enhancements.iterate({ limit: 1 })) iterated.push(summary.id);
    expect(iterated).toEqual([created.enhancement.id]);
  });
});

describe('retries', () => {
  it('a 429 is retried after exactly Retry-After, with the same idempotency key', async () => {
    const { client, key, sent } = await clientFor({ environment: 'test' });
    // Spend the key's create budget with malformed requests (rate limits run before parsing).
    const spend = () =>
      fetch(`${server.url}/api/v1/product-image-enhancements`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'idempotency-key': 'spend-budget',
          'content-type': 'application/json',
        },
        body: '{',
      });
    let refused: Response | undefined;
    for (let i = 0; i < 100 && !refused; i++) {
      const response = await spend();
      if (response.status === 429) refused = response;
    }
    expect(refused?.headers.get('retry-after')).toMatch(/^\d+$/);

    const created = await client.enhancements.create({
      images: [{ source_url: `${sources.base}/product.jpg` }],
    });
    const attempts = sent.filter((r) => r.method === 'POST');
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(attempts.map((a) => a.headers.get('idempotency-key')))).toEqual(
      new Set([created.idempotencyKey]),
    );
    const gap = (attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(900);
    expect(created.replayed).toBe(false);
  });

  it('without retries the 429 surfaces with retry_after', async () => {
    const { client } = await clientFor({ environment: 'test', maxRetries: 0 });
    let error: EnhancementApiError | undefined;
    for (let i = 0; i < 100 && !error; i++) {
      error = await client.enhancements.list().then(
        () => undefined,
        (e: EnhancementApiError) => e,
      );
    }
    expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(error?.retry_after).toBeGreaterThanOrEqual(1);
  });

  it('what cannot succeed is not retried; an unreachable server is, then a network error', async () => {
    const { client, sent } = await clientFor();
    await thrown(client.media.get('nope0000'));
    await thrown(client.upload(Buffer.from('not an image at all'), { filename: 'x.txt' }));
    expect(sent.map((r) => r.method)).toEqual(['GET', 'POST']);

    const port = await freePort();
    let attempts = 0;
    const offline = new LightboxClient({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: 'img_live_x',
      fetch: (input, init) => {
        attempts++;
        return fetch(input, init);
      },
    });
    const error = await thrown<LightboxNetworkError>(offline.usage());
    expect(error).toBeInstanceOf(LightboxNetworkError);
    expect(error.reason).toBe('unreachable');
    expect(attempts).toBe(3);
  });
});

it('a key of one account never sees another’s media', async () => {
  const { client } = await clientFor();
  const { key } = await accountWithKey(server);
  const other = new LightboxClient({ baseUrl: server.url, apiKey: key.key });
  const media = await client.upload(await jpeg(), { public: false });
  expect((await thrown<HostingApiError>(other.media.get(media.id))).code).toBe('not_found');
});
