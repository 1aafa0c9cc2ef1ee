import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accountWithKey, uniqueEmail } from './support/fixtures.ts';
import * as images from './support/images.ts';
import { expectHostingError, scratchFiles, storedOriginals } from './support/media-fixtures.ts';
import { startTestServer, type TestResponse, type TestServer } from './support/test-server.ts';

const ANON_PER_HOUR = 100_000;

let server: TestServer;
/** Messages logged at error level or above, by any logger of the server. */
const errorLines: string[] = [];

beforeAll(async () => {
  server = await startTestServer({
    LIGHTBOX_ANON_UPLOADS_PER_HOUR: String(ANON_PER_HOUR),
    LIGHTBOX_KEYS_PER_IP_PER_HOUR: '100000',
  });
  recordErrorLogs(server, errorLines);
});
afterAll(async () => {
  await server?.close();
});
afterEach(() => {
  errorLines.length = 0;
});

/** Records what the root logger and its children (Fastify's per-request loggers) log at error/fatal level. */
function recordErrorLogs(target: TestServer, lines: string[]): void {
  type Loggerish = Record<'error' | 'fatal', (...args: unknown[]) => void> & {
    child: (...args: unknown[]) => Loggerish;
  };
  const wrap = (logger: Loggerish) => {
    for (const level of ['error', 'fatal'] as const) {
      const original = logger[level].bind(logger);
      logger[level] = (...args: unknown[]) => {
        lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
        original(...args);
      };
    }
    const child = logger.child.bind(logger);
    logger.child = (...args: unknown[]) => {
      const made = child(...args);
      wrap(made);
      return made;
    };
  };
  wrap(target.services.logger as unknown as Loggerish);
}

/** Each anonymous test sends from its own client IP (trusted proxy header), so budgets do not mix. */
let ipCounter = 0;
const freshIp = () => `198.51.100.${++ipCounter}`;

async function withProxyServer<T>(fn: (s: TestServer) => Promise<T>, env: Record<string, string> = {}) {
  const s = await startTestServer({ LIGHTBOX_TRUSTED_PROXIES: '127.0.0.1', ...env });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);
const nestedObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

function expectNestedError(response: TestResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.body.error.code).toBe(code);
  expect(response.body.error.request_id).toBe(response.headers.get('x-request-id'));
}

describe('deep JSON is refused without being built', () => {
  // The depth message proves the scanner refused the body before JSON.parse (which would overflow its stack on
  // 500 000 levels and answer otherwise). How fast is bench/abuse.ts's business, not a timed test's.
  it('anonymous POST /v1/import with 1 MB of nested arrays → 422 validation_error', async () => {
    const body = nested(500_000);
    const response = await server.request('POST', '/v1/import', {
      body,
      headers: { 'content-type': 'application/json' },
    });
    expectHostingError(response, 422, 'validation_error', {
      message: 'Validation failed',
      extra: ['errors'],
    });
    expect(response.body.errors).toEqual({ body: [expect.stringMatching(/nested deeper than 64/)] });
  });

  it('four concurrent deep bodies are all refused while other requests are answered', async () => {
    const body = nested(500_000);
    const floods = Array.from({ length: 4 }, () =>
      server.request('POST', '/v1/import', { body, headers: { 'content-type': 'application/json' } }),
    );
    const health = await server.request('GET', '/healthz');
    expect(health.status).toBe(200);
    for (const r of await Promise.all(floods)) expect(r.status).toBe(422);
  });

  it.each([
    ['arrays', nested(65)],
    ['objects', nestedObject(65)],
    ['mixed', `{"a":${nested(64)}}`],
  ])('65 levels of %s → 422 on hosting', async (_name, body) => {
    const response = await server.request('POST', '/v1/import', {
      body,
      headers: { 'content-type': 'application/json' },
    });
    expectHostingError(response, 422, 'validation_error', { extra: ['errors'] });
    expect(response.body.errors.body[0]).toMatch(/nested deeper than 64/);
  });

  it('64 levels are parsed as usual (the answer is about the fields, not the depth)', async () => {
    const response = await server.request('POST', '/v1/import', {
      body: `{"url": "https://example.test/a.png", "name": ${nested(63)}}`,
      headers: { 'content-type': 'application/json' },
    });
    expectHostingError(response, 422, 'validation_error', { extra: ['errors'] });
    expect(Object.keys(response.body.errors)).toEqual(['name']);
  });

  it('brackets inside strings (escaped quotes included) do not count', async () => {
    const inString = `${'[{'.repeat(50)}\\"${'[{'.repeat(50)}`;
    const response = await server.request('POST', '/v1/import', {
      body: `{"url": "not a url", "name": "${inString}"}`,
      headers: { 'content-type': 'application/json' },
    });
    expectHostingError(response, 422, 'validation_error', { extra: ['errors'] });
    expect(Object.keys(response.body.errors)).toEqual(['url']);
  });

  it('a content type with parameters goes through the same check', async () => {
    const response = await server.request('POST', '/v1/keys', {
      body: nested(100),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expectHostingError(response, 422, 'validation_error', { extra: ['errors'] });
    expect(response.body.errors.body[0]).toMatch(/nested deeper than 64/);
  });

  it('enhancement family: → 400 invalid_payload in the nested envelope', async () => {
    const { key } = await accountWithKey(server, { environment: 'test' });
    const response = await server.request('POST', '/api/v1/product-image-enhancements', {
      key: key.key,
      body: nested(1000),
      headers: { 'content-type': 'application/json', 'idempotency-key': `deep-${Date.now()}` },
    });
    expectNestedError(response, 400, 'invalid_payload');
  });

  it('operator API: → 400 invalid_payload', async () => {
    const response = await server.request('POST', '/admin/v1/accounts', {
      key: server.adminToken,
      body: nestedObject(1000),
      headers: { 'content-type': 'application/json' },
    });
    expectNestedError(response, 400, 'invalid_payload');
  });

  it('prototype poisoning is still refused and the body limit still applies', async () => {
    const poisoned = await server.request('POST', '/v1/keys', {
      body: `{"email": "${uniqueEmail()}", "__proto__": {"x": 1}}`,
      headers: { 'content-type': 'application/json' },
    });
    expectHostingError(poisoned, 422, 'validation_error', { extra: ['errors'] });
    const constructorPoisoned = await server.request('POST', '/v1/keys', {
      body: `{"email": "${uniqueEmail()}", "constructor": {"prototype": {"x": 1}}}`,
      headers: { 'content-type': 'application/json' },
    });
    expectHostingError(constructorPoisoned, 422, 'validation_error', { extra: ['errors'] });
    const huge = await server.request('POST', '/v1/keys', {
      body: JSON.stringify({ email: uniqueEmail(), name: 'x'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expectHostingError(huge, 422, 'validation_error', { extra: ['errors'] });
    expect(huge.body.errors.body).toEqual(['Body too large']);
  });
});

describe('rate limits are spent before the body is parsed', () => {
  it('anonymous import: malformed and deep bodies spend the budget, then 429 whatever the body', async () => {
    await withProxyServer(
      async (s) => {
        const ip = freshIp();
        const send = (body: string) =>
          s.request('POST', '/v1/import', {
            body,
            headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
          });
        const first = await send('{"url": ');
        expect(first.status).toBe(422);
        expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
        const second = await send(nested(100));
        expect(second.status).toBe(422);
        expect(second.headers.get('x-ratelimit-remaining')).toBe('0');
        const third = await send(nested(500_000));
        expectHostingError(third, 429, 'rate_limited', { extra: ['action', 'retry_after'] });
        const fourth = await send(JSON.stringify({ url: 'https://example.test/a.png' }));
        expect(fourth.status).toBe(429);
      },
      { LIGHTBOX_ANON_UPLOADS_PER_HOUR: '2' },
    );
  });

  it('anonymous upload: a malformed multipart body spends the budget, then 429', async () => {
    await withProxyServer(
      async (s) => {
        const ip = freshIp();
        const send = () =>
          s.request('POST', '/v1/upload', {
            body: '--X\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc',
            headers: { 'content-type': 'multipart/form-data; boundary=X', 'x-forwarded-for': ip },
          });
        expect((await send()).status).toBe(422);
        expect((await send()).status).toBe(422);
        expectHostingError(await send(), 429, 'rate_limited', { extra: ['action', 'retry_after'] });
      },
      { LIGHTBOX_ANON_UPLOADS_PER_HOUR: '2' },
    );
  });

  it('keyed callers are not charged the anonymous budget', async () => {
    const { key } = await accountWithKey(server);
    for (let i = 0; i < 3; i++) {
      const response = await server.request('POST', '/v1/import', { key: key.key, json: { url: 'nope' } });
      expect(response.status).toBe(422);
      expect(response.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });
});

/** A raw multipart request. */
function multipart(body: string | Buffer, contentType = 'multipart/form-data; boundary=X', key?: string) {
  return server.request('POST', '/v1/upload', {
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: { 'content-type': contentType },
    ...(key ? { key } : {}),
  });
}

const part = (name: string, value: string, extra = '') =>
  `--X\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n${value}\r\n`;

describe('malformed multipart → 422 validation_error, nothing stored, nothing logged as an error', () => {
  let key: string;
  let png: Buffer;
  beforeAll(async () => {
    key = (await accountWithKey(server)).key.key;
    png = await images.png();
  });

  const cases: [string, () => Promise<TestResponse>][] = [
    ['no boundary', () => multipart(part('name', 'x'), 'multipart/form-data', key)],
    ['an empty boundary', () => multipart(part('name', 'x'), 'multipart/form-data; boundary=', key)],
    [
      'no closing boundary (file part cut short)',
      () =>
        multipart(
          Buffer.concat([
            Buffer.from('--X\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'),
            png,
          ]),
          undefined,
          key,
        ),
    ],
    [
      'no closing boundary (field part)',
      () => multipart(`${part('name', 'x')}--X\r\nContent-Dispo`, undefined, key),
    ],
    ['garbage instead of parts', () => multipart('this is not multipart at all', undefined, key)],
    [
      'a part header without a colon',
      () => multipart(`--X\r\nthis is not a header\r\n\r\nvalue\r\n--X--\r\n`, undefined, key),
    ],
    [
      'a part header block that never ends',
      () =>
        multipart(
          `--X\r\nContent-Disposition: form-data; name="a"\r\n${'X-Pad: y\r\n'.repeat(20_000)}`,
          undefined,
          key,
        ),
    ],
    [
      'too many fields',
      () =>
        multipart(
          `${Array.from({ length: 45 }, (_, i) => part(`f${i}`, 'v')).join('')}--X--\r\n`,
          undefined,
          key,
        ),
    ],
    [
      'too many parts',
      () =>
        multipart(
          `${Array.from({ length: 60 }, (_, i) => part(`f${i}`, 'v', i % 2 ? '; filename="a"' : '')).join('')}--X--\r\n`,
          undefined,
          key,
        ),
    ],
    [
      'two files',
      () =>
        multipart(
          `${part('file', 'a', '; filename="a.png"')}${part('file', 'b', '; filename="b.png"')}--X--\r\n`,
          undefined,
          key,
        ),
    ],
    ['a field named __proto__', () => multipart(`${part('__proto__', 'x')}--X--\r\n`, undefined, key)],
    [
      'a field declared JSON that is not',
      () =>
        multipart(
          `--X\r\nContent-Disposition: form-data; name="tags"\r\nContent-Type: application/json\r\n\r\n{nope\r\n--X--\r\n`,
          undefined,
          key,
        ),
    ],
    ['an empty body', () => multipart('', undefined, key)],
    ['anonymous, no boundary', () => multipart(part('name', 'x'), 'multipart/form-data')],
  ];

  it.each(cases)('%s', async (_name, send) => {
    const before = (await storedOriginals(server)).length;
    const response = await send();
    expectHostingError(response, 422, 'validation_error', {
      message: 'Validation failed',
      extra: ['errors'],
    });
    expect((await storedOriginals(server)).length).toBe(before);
    expect(await scratchFiles(server)).toEqual([]);
    expect(errorLines).toEqual([]);
  });

  it('control: a well-formed multipart upload still works', async () => {
    const body = Buffer.concat([
      Buffer.from(part('name', 'hand made')),
      Buffer.from(
        '--X\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n',
      ),
      png,
      Buffer.from('\r\n--X--\r\n'),
    ]);
    const response = await multipart(body, undefined, key);
    expect(response.status, response.text).toBe(201);
    expect(response.body.name).toBe('hand made');
  });
});

describe('router-level errors answer in the family envelope with the request id', () => {
  const long = 'a'.repeat(600);
  it.each([
    ['GET /v1/media/%ff', 'GET', '/v1/media/%ff'],
    ['GET /v1/media/%E0%A4%A', 'GET', '/v1/media/%E0%A4%A'],
    ['GET /v1/media/<600 characters>', 'GET', `/v1/media/${long}`],
    ['DELETE /v1/media/<600 characters>', 'DELETE', `/v1/media/${long}`],
    ['GET /src/%ff/abc.png', 'GET', '/src/%ff/abc.png'],
    ['GET /i/%ff', 'GET', '/i/%ff'],
  ])('hosting: %s → flat 404 not_found', async (_name, method, route) => {
    const response = await server.request(method, route, { headers: { 'x-request-id': 'trace-router-1' } });
    expectHostingError(response, 404, 'not_found');
    expect(response.headers.get('x-request-id')).toBe('trace-router-1');
  });

  it.each([
    ['GET /api/v1/product-image-enhancements/%ff', '/api/v1/product-image-enhancements/%ff'],
    ['GET /api/v1/product-image-enhancements/<600 characters>', `/api/v1/product-image-enhancements/${long}`],
    ['GET /admin/v1/accounts/%ff', '/admin/v1/accounts/%ff'],
    ['GET /admin/v1/accounts/<600 characters>', `/admin/v1/accounts/${long}`],
  ])('enhancement and operator: %s → nested 404 not_found', async (_name, route) => {
    const response = await server.request('GET', route);
    expectNestedError(response, 404, 'not_found');
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9A-Za-z]{20,}$/);
  });

  it('src: a too-long token is an unknown one (404 with the request id, as the src route answers)', async () => {
    const response = await server.request('GET', `/src/${long}/${long}.png`);
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('the 404 does not echo the bad path', async () => {
    const response = await server.request('GET', `/v1/media/${long}`);
    expect(response.text).not.toContain(long);
  });
});

describe('X-RateLimit-Reset', () => {
  const reset = (r: TestResponse) => Number(r.headers.get('x-ratelimit-reset'));
  const now = () => Date.now() / 1000;

  it('anonymous 429: Reset is the moment Retry-After points to', async () => {
    await withProxyServer(
      async (s) => {
        const ip = freshIp();
        const send = () =>
          s.request('POST', '/v1/import', { json: { url: 'nope' }, headers: { 'x-forwarded-for': ip } });
        const allowed = await send();
        expect(allowed.status).toBe(422);
        // Allowed: Reset is when the allowance is whole again (one interval of 30 minutes here).
        expect(reset(allowed) - now()).toBeGreaterThan(1790);
        expect(reset(allowed) - now()).toBeLessThanOrEqual(1801);
        await send();
        const limited = await send();
        expect(limited.status).toBe(429);
        const retryAfter = Number(limited.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThan(0);
        // The next request is admitted in 30 minutes; the allowance is whole again in an hour.
        expect(retryAfter).toBeGreaterThan(1790);
        expect(retryAfter).toBeLessThanOrEqual(1800);
        expect(Math.abs(reset(limited) - (now() + retryAfter))).toBeLessThanOrEqual(1.5);
        expect(limited.body.retry_after).toBe(retryAfter);
        expect(Number(limited.headers.get('x-ratelimit-remaining'))).toBe(0);
      },
      { LIGHTBOX_ANON_UPLOADS_PER_HOUR: '2' },
    );
  });

  it('POST /v1/keys 429 (per IP): Reset matches Retry-After', async () => {
    await withProxyServer(
      async (s) => {
        const ip = freshIp();
        const send = () =>
          s.request('POST', '/v1/keys', {
            json: { email: uniqueEmail() },
            headers: { 'x-forwarded-for': ip },
          });
        expect((await send()).status).toBe(201);
        const last = await send();
        expect(last.status).toBe(201);
        expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
        const limited = await send();
        expect(limited.status).toBe(429);
        const retryAfter = Number(limited.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThan(0);
        expect(Math.abs(reset(limited) - (now() + retryAfter))).toBeLessThanOrEqual(1.5);
        // The last allowed answer already named the moment the next request is admitted.
        expect(Math.abs(reset(last) - reset(limited))).toBeLessThanOrEqual(1.5);
      },
      { LIGHTBOX_KEYS_PER_IP_PER_HOUR: '2' },
    );
  });
});
