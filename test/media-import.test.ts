import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as realSleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as images from './support/images.ts';
import {
  DAY_SECONDS,
  expectHostingError,
  expectMediaShape,
  expectValidationError,
  importUrl,
  type Keyed,
  keyedAccount,
  listAll,
  nowSeconds,
  scratchFiles,
  storedOriginals,
} from './support/media-fixtures.ts';
import { startTestServer, type TestResponse, type TestServer } from './support/test-server.ts';

/** The loopback "internet": every path the import tests fetch, and a log of what was asked for. */
interface Upstream {
  url: string;
  hits: string[];
  /** Resolves when `path` is requested (the next time). */
  waitFor(path: string): Promise<void>;
  close(): Promise<void>;
}

let photo: Buffer;
let bigPng: Buffer;

async function startUpstream(): Promise<Upstream> {
  const hits: string[] = [];
  const waiters = new Map<string, () => void>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? '/';
    hits.push(path);
    waiters.get(path)?.();
    waiters.delete(path);
    const hop = /^\/hop\/(\d+)$/.exec(path);
    if (hop) {
      const left = Number(hop[1]);
      res.writeHead(302, { location: left > 0 ? `/hop/${left - 1}` : '/photo.png' });
      res.end();
      return;
    }
    switch (path) {
      case '/photo.png':
      case '/dir/holiday%20snap.png':
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': photo.length });
        res.end(photo);
        return;
      case '/misnamed.jpg':
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(photo);
        return;
      case '/big.png':
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(bigPng);
        return;
      case '/notes.txt':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('just some text, not an image\n');
        return;
      case '/fake.png':
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end('<html><body>Not found, but 200</body></html>');
        return;
      case '/slow':
        // Headers never come: only the import deadline ends this request.
        return;
      case '/error':
        res.writeHead(500);
        res.end('boom');
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    waitFor: (path) => new Promise<void>((resolve) => waiters.set(path, resolve)),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let upstream: Upstream;
let server: TestServer;
let owner: Keyed;

beforeAll(async () => {
  photo = await images.png(64, 48);
  bigPng = await images.noisePng(1.5 * 1024 * 1024);
  upstream = await startUpstream();
  server = await startTestServer({
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_MAX_UPLOAD_MB: '1',
    LIGHTBOX_ANON_UPLOADS_PER_HOUR: '1000',
  });
  owner = await keyedAccount(server);
});

afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

/** Every failed import must leave no media, no original and no scratch file behind. */
let originalsBefore: string[] = [];
const expectNothingStored = async () => {
  expect(await storedOriginals(server)).toEqual(originalsBefore);
  expect(await scratchFiles(server)).toEqual([]);
};

describe('POST /v1/import: success', () => {
  it('201 with the media object; name from the URL; the bytes are kept as fetched', async () => {
    const response = await importUrl(server, { url: `${upstream.url}/photo.png` }, owner.key);
    expect(response.status, response.text).toBe(201);
    expectMediaShape(server, response.body);
    expect(response.body).toMatchObject({
      name: 'photo.png',
      format: 'png',
      width: 64,
      height: 48,
      filesize: photo.length,
      public: true,
      expires_at: null,
    });
    expect(await server.services.blobs.getBuffer(`originals/${response.body.id}`)).toEqual(photo);
    expect(await scratchFiles(server)).toEqual([]);
    const fetched = await server.request('GET', `/v1/media/${response.body.id}`, { key: owner.key });
    expect(fetched.body).toEqual(response.body);
  });

  it('fields as in upload: name, tags, namespace, public, ttl, date; the type comes from the bytes', async () => {
    const response = await importUrl(
      server,
      {
        url: `${upstream.url}/misnamed.jpg`,
        name: 'Imported',
        tags: ['One', 'two', 'one'],
        namespace: 'imports',
        public: false,
        ttl: '1h',
        date: '2023-12-24',
      },
      owner.key,
    );
    expect(response.status, response.text).toBe(201);
    expect(response.body).toMatchObject({
      name: 'Imported',
      format: 'png',
      tags: ['one', 'two'],
      namespace: 'imports',
      public: false,
      date: '2023-12-24',
    });
    expect(Math.abs(response.body.expires_at - (nowSeconds() + 3600))).toBeLessThanOrEqual(5);
  });

  it('description is kept as metadata, as at upload; bounded the same way', async () => {
    const response = await importUrl(
      server,
      { url: `${upstream.url}/photo.png`, description: 'From the web', metadata: { credit: 'them' } },
      owner.key,
    );
    expect(response.status, response.text).toBe(201);
    expect(response.body.metadata).toEqual({ credit: 'them', description: 'From the web' });
    const hitsBefore = upstream.hits.length;
    const long = await importUrl(
      server,
      { url: `${upstream.url}/photo.png`, description: 'x'.repeat(501) },
      owner.key,
    );
    expectValidationError(long, ['description']);
    expect(upstream.hits.length).toBe(hitsBefore);
  });

  it('a percent-encoded file name is decoded', async () => {
    const response = await importUrl(server, { url: `${upstream.url}/dir/holiday%20snap.png` }, owner.key);
    expect(response.status, response.text).toBe(201);
    expect(response.body.name).toBe('holiday snap.png');
  });

  it('3 redirects are followed', async () => {
    const response = await importUrl(server, { url: `${upstream.url}/hop/2` }, owner.key);
    expect(response.status, response.text).toBe(201);
    expect(upstream.hits.slice(-4)).toEqual(['/hop/2', '/hop/1', '/hop/0', '/photo.png']);
    expect(response.body.filesize).toBe(photo.length);
  });

  it('anonymous: 30-day expiry and the register upgrade object', async () => {
    const response = await importUrl(server, { url: `${upstream.url}/photo.png` });
    expect(response.status, response.text).toBe(201);
    expectMediaShape(server, response.body, { anonymous: true });
    expect(Math.abs(response.body.expires_at - (nowSeconds() + 30 * DAY_SECONDS))).toBeLessThanOrEqual(5);
    expect(response.body.upgrade.type).toBe('register');
  });
});

describe('POST /v1/import: failures store nothing', () => {
  let victim: Keyed;

  beforeAll(async () => {
    victim = await keyedAccount(server);
  });

  afterEach(async () => {
    await expectNothingStored();
    expect(await listAll(server, victim.key)).toEqual([]);
  });

  const importing = async (body: unknown) => {
    originalsBefore = await storedOriginals(server);
    return importUrl(server, body, victim.key);
  };

  it('upstream 404 → 502 fetch_failed "URL returned 404"', async () => {
    const response = await importing({ url: `${upstream.url}/nothing-here.png` });
    expectHostingError(response, 502, 'fetch_failed', { message: 'URL returned 404' });
  });

  it('upstream 500 → 502 fetch_failed "URL returned 500"', async () => {
    const response = await importing({ url: `${upstream.url}/error` });
    expectHostingError(response, 502, 'fetch_failed', { message: 'URL returned 500' });
  });

  it('more than 3 redirects → 502 fetch_failed, and the 5th hop is never requested', async () => {
    const hitsBefore = upstream.hits.length;
    const response = await importing({ url: `${upstream.url}/hop/3` });
    expectHostingError(response, 502, 'fetch_failed');
    expect(upstream.hits.slice(hitsBefore)).toEqual(['/hop/3', '/hop/2', '/hop/1', '/hop/0']);
  });

  it('a refused target on an allow-listed server: another loopback address and cloud metadata → 502', async () => {
    const hitsBefore = upstream.hits.length;
    const port = new URL(upstream.url).port;
    for (const url of [`http://127.0.0.2:${port}/photo.png`, 'http://169.254.169.254/latest/meta-data/']) {
      expectHostingError(await importing({ url }), 502, 'fetch_failed');
    }
    expect(upstream.hits.length).toBe(hitsBefore);
  });

  it('a body that is not an image → 500 import_failed', async () => {
    expectHostingError(await importing({ url: `${upstream.url}/notes.txt` }), 500, 'import_failed', {
      message: 'Unsupported file type',
    });
    expectHostingError(await importing({ url: `${upstream.url}/fake.png` }), 500, 'import_failed', {
      message: 'Unsupported file type',
    });
  });

  it('a body over the size limit → 500 import_failed "File too large…"', async () => {
    const response = await importing({ url: `${upstream.url}/big.png` });
    expectHostingError(response, 500, 'import_failed', {
      message: 'File too large. Maximum file size is 1 MB.',
    });
  });

  it.each([
    ['not a url', 'not a url'],
    ['ftp scheme', 'ftp://127.0.0.1/photo.png'],
    ['javascript scheme', 'javascript:alert(1)'],
    ['no host', 'http://'],
    ['a number', 42],
  ])('malformed url (%s) → 422 validation_error with errors.url', async (_name, url) => {
    expectValidationError(await importing({ url }), ['url']);
  });

  it('missing url → 422; bad fields → 422 before anything is fetched', async () => {
    expectValidationError(await importing({ name: 'x' }), ['url']);
    const hitsBefore = upstream.hits.length;
    const response = await importing({ url: `${upstream.url}/photo.png`, namespace: 'Bad_NS', ttl: 10 });
    expect(response.status, response.text).toBe(422);
    expect(Object.keys(response.body.errors).sort()).toEqual(['namespace', 'ttl']);
    // Fetching first would cost the upstream a download for a request that cannot succeed.
    expect(upstream.hits.length).toBe(hitsBefore);
    expectValidationError(await importing({ url: 'nope', tags: 'x'.repeat(51) }), ['url', 'tags']);
  });

  it('malformed JSON → 422 with errors.body', async () => {
    originalsBefore = await storedOriginals(server);
    const response = await server.request('POST', '/v1/import', {
      key: victim.key,
      body: '{"url": ',
      headers: { 'content-type': 'application/json' },
    });
    expectValidationError(response, ['body']);
  });
});

describe('POST /v1/import: timeout (30 s deadline, clock faked)', () => {
  /** POST through node:http: its socket timers are Node-internal, so faking the global clock leaves them be. */
  function postJson(url: string, json: unknown, key: string): Promise<TestResponse> {
    return new Promise((resolve, reject) => {
      const body = JSON.stringify(json);
      const req = httpRequest(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') headers.set(name, value);
          }
          resolve({ status: res.statusCode ?? 0, headers, text, body: JSON.parse(text) });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('an upstream that never answers → 504 fetch_failed "URL fetch timeout" after 30 s, not before', async () => {
    originalsBefore = await storedOriginals(server);
    // The import deadline is a plain setTimeout (src/fetcher/deadline.ts): fake only that clock, so the
    // suite does not wait 30 real seconds. Sockets, the database and the upstream run on real time.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const reached = upstream.waitFor('/slow');
      let settled = false;
      const answer = postJson(`${server.url}/v1/import`, { url: `${upstream.url}/slow` }, owner.key).finally(
        () => {
          settled = true;
        },
      );
      await reached;
      await vi.advanceTimersByTimeAsync(29_900);
      await realSleep(200);
      expect(settled, 'answered before the 30 s deadline').toBe(false);
      await vi.advanceTimersByTimeAsync(200);
      const response = await answer;
      expectHostingError(response, 504, 'fetch_failed', { message: 'URL fetch timeout' });
    } finally {
      vi.useRealTimers();
    }
    await expectNothingStored();
  });
});

describe('POST /v1/import: without the allow-list, loopback is refused', () => {
  let strict: TestServer;

  beforeAll(async () => {
    strict = await startTestServer();
  });

  afterAll(async () => {
    await strict?.close();
  });

  it('http://127.0.0.1:… and its other spellings → 502 fetch_failed; no request reaches the target', async () => {
    const { key } = await keyedAccount(strict);
    const port = new URL(upstream.url).port;
    const hitsBefore = upstream.hits.length;
    for (const host of [
      '127.0.0.1',
      'localhost',
      '2130706433',
      '0x7f000001',
      '0177.0.0.1',
      '127.1',
      '[::1]',
    ]) {
      const response = await importUrl(strict, { url: `http://${host}:${port}/photo.png` }, key);
      expectHostingError(response, 502, 'fetch_failed');
    }
    expect(upstream.hits.length).toBe(hitsBefore);
    expect(await listAll(strict, key)).toEqual([]);
    expect(await storedOriginals(strict)).toEqual([]);
  });
});
