import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithKey, uniqueEmail } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const GENERATED = /^req_[0-9A-Za-z]{20,}$/;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ LIGHTBOX_KEYS_PER_IP_PER_HOUR: '100000' });
});
afterAll(async () => {
  await server?.close();
});

/** One request of each kind the server answers: JSON success, both error envelopes, HTML, 404, operator API. */
const probes: {
  name: string;
  send: (headers: Record<string, string>) => ReturnType<TestServer['request']>;
}[] = [
  { name: 'health check', send: (headers) => server.request('GET', '/healthz', { headers }) },
  {
    name: 'presets (no auth)',
    send: (headers) => server.request('GET', '/api/v1/product-image-enhancement-presets', { headers }),
  },
  { name: 'hosting 401', send: (headers) => server.request('GET', '/v1/usage', { headers }) },
  {
    name: 'enhancement 401',
    send: (headers) => server.request('GET', '/api/v1/product-image-enhancements', { headers }),
  },
  {
    name: 'hosting 422',
    send: (headers) => server.request('POST', '/v1/keys', { headers, json: { email: 5 } }),
  },
  {
    name: 'hosting 201',
    send: (headers) => server.request('POST', '/v1/keys', { headers, json: { email: uniqueEmail() } }),
  },
  { name: 'unknown route', send: (headers) => server.request('GET', '/no/such/route', { headers }) },
  {
    name: 'HTML error page',
    send: (headers) => server.request('GET', '/verify?t=x&exp=1&sig=y', { headers }),
  },
  {
    name: 'operator API',
    send: (headers) =>
      server.request('GET', '/admin/v1/accounts?limit=1', { headers, key: server.adminToken }),
  },
];

/** The request id a body carries, in whichever envelope it uses. */
function bodyRequestId(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { request_id?: string; error?: { request_id?: string } | string };
  if (typeof b.error === 'object' && b.error !== null) return b.error.request_id;
  return b.request_id;
}

describe('X-Request-Id', () => {
  it.each(probes)('$name: generated as req_ + ≥ 20 base62 when the client sends none', async ({ send }) => {
    const response = await send({});
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get('x-request-id')).toMatch(GENERATED);
  });

  it('each request gets its own id', async () => {
    const ids = await Promise.all(
      Array.from({ length: 20 }, async () =>
        (await server.request('GET', '/healthz')).headers.get('x-request-id'),
      ),
    );
    expect(new Set(ids).size).toBe(20);
  });

  it.each(probes)('$name: a valid client id is echoed', async ({ send }) => {
    const id = `client.trace-${Date.now()}:abc_DEF`;
    const response = await send({ 'x-request-id': id });
    expect(response.headers.get('x-request-id')).toBe(id);
    const inBody = bodyRequestId(response.body);
    if (inBody !== undefined) expect(inBody).toBe(id);
  });

  it('the longest valid id (160 characters) is echoed', async () => {
    const id = 'a'.repeat(160);
    expect(
      (await server.request('GET', '/healthz', { headers: { 'x-request-id': id } })).headers.get(
        'x-request-id',
      ),
    ).toBe(id);
  });

  it.each([
    ['too long (161 characters)', 'a'.repeat(161)],
    ['a space', 'abc def'],
    ['a slash', 'abc/def'],
    ['angle brackets', '<script>'],
    ['a quote', 'a"b'],
    ['two ids joined', 'first, second'],
    ['empty', ''],
  ])('an invalid client id (%s) is replaced by a generated one', async (_name, id) => {
    const response = await server.request('GET', '/v1/usage', { headers: { 'x-request-id': id } });
    const header = response.headers.get('x-request-id');
    expect(header).toMatch(GENERATED);
    expect(header).not.toBe(id);
    expect(response.body.request_id).toBe(header);
    expect(response.text).not.toContain(id || '\u0000');
  });

  it('error bodies of both families carry the header id', async () => {
    let checked = 0;
    for (const probe of probes) {
      const response = await probe.send({});
      const inBody = bodyRequestId(response.body);
      if (response.status >= 400 && response.headers.get('content-type')?.startsWith('application/json')) {
        expect(inBody, probe.name).toBe(response.headers.get('x-request-id'));
        checked++;
      }
    }
    expect(checked).toBe(4);
  });

  it('successful enhancement-family bodies carry the id too', async () => {
    const { key } = await accountWithKey(server, { environment: 'test' });
    const response = await server.request('GET', '/api/v1/product-image-enhancements', {
      key: key.key,
      headers: { 'x-request-id': 'my-request-1234' },
    });
    expect(response.status).toBe(200);
    expect(response.body.request_id).toBe('my-request-1234');
    const presets = await server.request('GET', '/api/v1/product-image-enhancement-presets');
    expect(presets.body.request_id).toBe(presets.headers.get('x-request-id'));
  });
});
