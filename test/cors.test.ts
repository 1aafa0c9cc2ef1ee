import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithKey, uniqueEmail } from './support/fixtures.ts';
import { startTestServer, type TestResponse, type TestServer } from './support/test-server.ts';

const APP = 'https://app.example';
const OTHER = 'https://other.example';
const STRANGER = 'https://evil.example';

const exposed = (r: TestResponse) =>
  (r.headers.get('access-control-expose-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
const listed = (r: TestResponse, header: string) =>
  (r.headers.get(header) ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);

function expectNoCors(r: TestResponse): void {
  for (const header of [
    'access-control-allow-origin',
    'access-control-allow-credentials',
    'access-control-allow-methods',
    'access-control-allow-headers',
    'access-control-expose-headers',
  ]) {
    expect(r.headers.get(header), header).toBeNull();
  }
}

function preflight(server: TestServer, route: string, origin: string, method = 'PATCH') {
  return server.request('OPTIONS', route, {
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization, content-type, idempotency-key, x-request-id',
    },
  });
}

describe('LIGHTBOX_CORS_ORIGINS as a list', () => {
  let server: TestServer;
  let key: string;
  beforeAll(async () => {
    server = await startTestServer({
      LIGHTBOX_CORS_ORIGINS: `${APP},${OTHER}`,
      LIGHTBOX_KEYS_PER_IP_PER_HOUR: '100000',
    });
    key = (await accountWithKey(server)).key.key;
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ['hosting', '/v1/media', true],
    ['enhancement', '/api/v1/product-image-enhancement-presets', false],
  ])(
    '%s: a listed origin is echoed, with Vary: Origin, the exposed headers and never credentials',
    async (_f, route, keyed) => {
      for (const origin of [APP, OTHER]) {
        const response = await server.request('GET', route, {
          headers: { origin },
          ...(keyed ? { key } : {}),
        });
        expect(response.status, response.text).toBe(200);
        expect(response.headers.get('access-control-allow-origin')).toBe(origin);
        expect(listed(response, 'vary')).toContain('origin');
        expect(response.headers.get('access-control-allow-credentials')).toBeNull();
        expect(exposed(response)).toEqual(
          expect.arrayContaining([
            'x-ratelimit-limit',
            'x-ratelimit-remaining',
            'x-ratelimit-reset',
            'x-request-id',
            'retry-after',
            'location',
          ]),
        );
      }
    },
  );

  it('an unlisted origin gets no Allow-Origin, but still Vary: Origin', async () => {
    const response = await server.request('GET', '/api/v1/product-image-enhancement-presets', {
      headers: { origin: STRANGER },
    });
    expect(response.status).toBe(200);
    expectNoCors(response);
    expect(listed(response, 'vary')).toContain('origin');
  });

  it('no Origin (not a browser cross-origin request): no CORS headers, Vary: Origin for caches', async () => {
    const response = await server.request('GET', '/api/v1/product-image-enhancement-presets');
    expectNoCors(response);
    expect(listed(response, 'vary')).toContain('origin');
  });

  it.each([
    ['PATCH', '/v1/media/abcdefgh'],
    ['DELETE', '/v1/media?ids=a,b'],
    ['POST', '/v1/upload'],
    ['POST', '/v1/keys'],
    ['POST', '/api/v1/product-image-enhancements'],
    ['GET', '/api/v1/product-image-enhancements/00000000-0000-4000-8000-000000000000'],
  ])('preflight %s %s → 204 before any auth, with the allowed methods and headers', async (method, route) => {
    const response = await preflight(server, route, APP, method);
    expect(response.status, response.text).toBe(204);
    expect(response.text).toBe('');
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(listed(response, 'access-control-allow-methods')).toEqual(
      expect.arrayContaining(['get', 'post', 'patch', 'delete']),
    );
    expect(listed(response, 'access-control-allow-headers')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'x-request-id']),
    );
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(listed(response, 'vary')).toContain('origin');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('preflight from an unlisted origin → no Allow-Origin (the browser refuses the request)', async () => {
    const response = await preflight(server, '/v1/media/abcdefgh', STRANGER);
    expectNoCors(response);
  });

  it('errors carry the CORS headers too, so a browser client can read them', async () => {
    const unauthorized = await server.request('GET', '/v1/usage', { headers: { origin: APP } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(APP);
    const invalid = await server.request('POST', '/v1/keys', {
      headers: { origin: APP },
      json: { email: 5 },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.headers.get('access-control-allow-origin')).toBe(APP);
    expect(invalid.headers.get('x-ratelimit-limit')).not.toBeNull();
    const badUrl = await server.request('GET', '/v1/media/%ff', { headers: { origin: APP } });
    expect(badUrl.status).toBe(404);
    expect(badUrl.headers.get('access-control-allow-origin')).toBe(APP);
    const missing = await server.request('GET', '/api/v1/nothing', { headers: { origin: APP } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('a created key answer (rate-limited route) exposes its rate headers', async () => {
    const response = await server.request('POST', '/v1/keys', {
      headers: { origin: APP },
      json: { email: uniqueEmail() },
    });
    expect(response.status, response.text).toBe(201);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(exposed(response)).toContain('x-ratelimit-remaining');
  });

  it('operator API: never any CORS, even for a listed origin; its preflight is a plain 404', async () => {
    const response = await server.request('GET', '/admin/v1/accounts?limit=1', {
      key: server.adminToken,
      headers: { origin: APP },
    });
    expect(response.status).toBe(200);
    expectNoCors(response);
    const options = await preflight(server, '/admin/v1/accounts', APP, 'GET');
    expect(options.status).toBe(404);
    expect(options.body.error.code).toBe('not_found');
    expectNoCors(options);
  });

  it('src and the viewer page are out of scope (images embedded with <img> need no CORS)', async () => {
    const src = await server.request('GET', '/src/abcdefghijkl/abcdefgh.png', { headers: { origin: APP } });
    expect(src.status).toBe(404);
    expectNoCors(src);
    const viewer = await server.request('GET', '/i/abcdefgh', { headers: { origin: APP } });
    expectNoCors(viewer);
  });
});

describe('LIGHTBOX_CORS_ORIGINS=*', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ LIGHTBOX_CORS_ORIGINS: '*' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('any origin: Allow-Origin *, no Vary on Origin, never credentials', async () => {
    for (const origin of [APP, STRANGER]) {
      const response = await server.request('GET', '/api/v1/product-image-enhancement-presets', {
        headers: { origin },
      });
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(listed(response, 'vary')).not.toContain('origin');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(exposed(response)).toContain('x-request-id');
    }
  });

  it('preflight → 204 with *', async () => {
    const response = await preflight(server, '/v1/upload', STRANGER, 'POST');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('operator API: still no CORS', async () => {
    const response = await server.request('GET', '/admin/v1/accounts?limit=1', {
      key: server.adminToken,
      headers: { origin: APP },
    });
    expectNoCors(response);
    expect((await preflight(server, '/admin/v1/accounts', APP, 'GET')).status).toBe(404);
  });
});

describe('LIGHTBOX_CORS_ORIGINS unset (default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('no CORS headers and no Vary anywhere; OPTIONS is an unknown route', async () => {
    const response = await server.request('GET', '/api/v1/product-image-enhancement-presets', {
      headers: { origin: APP },
    });
    expectNoCors(response);
    expect(response.headers.get('vary')).toBeNull();
    const options = await preflight(server, '/v1/media/abcdefgh', APP);
    expect(options.status).toBe(404);
    expect(options.body.error).toBe('not_found');
    expectNoCors(options);
  });
});
