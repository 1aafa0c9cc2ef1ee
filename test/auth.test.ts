import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiKey } from '../src/accounts/api-key-format.ts';
import {
  accountWithKey,
  createAccount,
  listKeys,
  mintKey,
  patchAccount,
  patchKey,
} from './support/fixtures.ts';
import { startTestServer, type TestResponse, type TestServer } from './support/test-server.ts';

const ENHANCEMENT_ROUTE = '/api/v1/product-image-enhancements';
const HOSTING_ROUTE = '/v1/usage';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

/** The nested envelope of the enhancement family, exactly: `{error: {code, message, request_id}}` and nothing else. */
function expectEnhancementError(response: TestResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(response.body).sort()).toEqual(['error']);
  expect(Object.keys(response.body.error).sort()).toEqual(['code', 'message', 'request_id']);
  expect(response.body.error.code).toBe(code);
  expect(typeof response.body.error.message).toBe('string');
  expect(response.body.error.message.length).toBeGreaterThan(0);
  expect(response.body.error.request_id).toBe(response.headers.get('x-request-id'));
}

/** The flat envelope of the hosting family: auth failures carry `error`, `message`, `request_id` only. */
function expectHostingError(response: TestResponse, status: number, code: string, message?: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(response.body).sort()).toEqual(['error', 'message', 'request_id']);
  expect(response.body.error).toBe(code);
  if (message !== undefined) expect(response.body.message).toBe(message);
  expect(response.body.request_id).toBe(response.headers.get('x-request-id'));
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Replaces the character at `index` with another base62 character. */
function flipCharAt(key: string, index: number): string {
  const c = key[index];
  const replacement = c === 'A' ? 'B' : 'A';
  return `${key.slice(0, index)}${replacement}${key.slice(index + 1)}`;
}

const pastIso = () => new Date(Date.now() - 60_000).toISOString();

interface AuthCase {
  name: string;
  /** Builds the request headers; runs once per case and family. */
  headers: () => Promise<Record<string, string>>;
  enhancement: { status: number; code: string };
  hosting: { status: number; code: string; message?: string };
}

const UNAUTHORIZED = { status: 401, code: 'unauthorized', message: 'Invalid or missing API key' };
const FORBIDDEN = { status: 403, code: 'forbidden', message: 'Insufficient permissions' };

const cases: AuthCase[] = [
  {
    name: 'no Authorization header',
    headers: async () => ({}),
    enhancement: { status: 401, code: 'missing_api_key' },
    hosting: UNAUTHORIZED,
  },
  {
    name: 'empty Authorization header',
    headers: async () => ({ authorization: '' }),
    enhancement: { status: 401, code: 'missing_api_key' },
    hosting: UNAUTHORIZED,
  },
  {
    name: 'malformed key',
    headers: async () => bearer('img_live_not-a-key'),
    enhancement: { status: 401, code: 'invalid_api_key' },
    hosting: UNAUTHORIZED,
  },
  {
    name: 'a real key under another scheme (Basic)',
    headers: async () => {
      const { key } = await accountWithKey(server);
      return { authorization: `Basic ${key.key}` };
    },
    enhancement: { status: 401, code: 'invalid_api_key' },
    hosting: UNAUTHORIZED,
  },
  {
    name: 'bad checksum (one character of a real key flipped)',
    headers: async () => {
      const { key } = await accountWithKey(server);
      return bearer(flipCharAt(key.key, 'img_live_'.length + 3));
    },
    enhancement: { status: 401, code: 'invalid_api_key' },
    hosting: UNAUTHORIZED,
  },
  {
    name: 'well-formed key with a valid checksum that was never issued',
    headers: async () => bearer(mintApiKey('img', 'live')),
    enhancement: { status: 401, code: 'invalid_api_key' },
    hosting: UNAUTHORIZED,
  },
  {
    name: 'deleted key',
    headers: async () => {
      const { key } = await accountWithKey(server);
      const deleted = await server.admin('DELETE', `/admin/v1/keys/${key.key_id}`);
      expect(deleted.status).toBe(200);
      return bearer(key.key);
    },
    enhancement: { status: 401, code: 'invalid_api_key' },
    hosting: UNAUTHORIZED,
  },
  {
    name: 'expired key (expires_at in the past)',
    headers: async () => {
      const { key } = await accountWithKey(server);
      await patchKey(server, key.key_id, { expires_at: pastIso() });
      return bearer(key.key);
    },
    enhancement: { status: 401, code: 'api_key_expired' },
    hosting: { status: 401, code: 'unauthorized', message: 'API key expired' },
  },
  {
    name: 'key minted with expires_at in the past',
    headers: async () => {
      const account = await createAccount(server, { verified: true });
      const key = await mintKey(server, account.id, { expires_at: pastIso() });
      return bearer(key.key);
    },
    enhancement: { status: 401, code: 'api_key_expired' },
    hosting: { status: 401, code: 'unauthorized', message: 'API key expired' },
  },
  {
    name: 'inactive key',
    headers: async () => {
      const { key } = await accountWithKey(server);
      await patchKey(server, key.key_id, { status: 'inactive' });
      return bearer(key.key);
    },
    enhancement: { status: 401, code: 'api_key_inactive' },
    hosting: { status: 401, code: 'unauthorized' },
  },
  {
    name: 'key pending approval (self-serve on a verified account with policy approval)',
    headers: async () => {
      const account = await createAccount(server, { verified: true });
      expect(account.registration_policy).toBe('approval');
      const created = await server.request('POST', '/v1/keys', { json: { email: account.email } });
      expect(created.status, created.text).toBe(201);
      expect(created.body.status).toBe('pending_approval');
      return bearer(created.body.key);
    },
    enhancement: { status: 401, code: 'api_key_inactive' },
    hosting: { status: 401, code: 'unauthorized' },
  },
  {
    name: 'revoked key',
    headers: async () => {
      const { key } = await accountWithKey(server);
      await patchKey(server, key.key_id, { status: 'revoked' });
      return bearer(key.key);
    },
    enhancement: { status: 401, code: 'api_key_revoked' },
    hosting: { status: 401, code: 'unauthorized' },
  },
  {
    name: 'suspended account',
    headers: async () => {
      const { account, key } = await accountWithKey(server);
      await patchAccount(server, account.id, { suspended: true });
      return bearer(key.key);
    },
    enhancement: { status: 403, code: 'account_suspended' },
    hosting: FORBIDDEN,
  },
  {
    name: 'account with payment risk',
    headers: async () => {
      const { account, key } = await accountWithKey(server);
      await patchAccount(server, account.id, { payment_risk: true });
      return bearer(key.key);
    },
    enhancement: { status: 403, code: 'payment_risk_restricted' },
    hosting: FORBIDDEN,
  },
];

describe.each(cases)('auth: $name', (c) => {
  it(`enhancement family → ${c.enhancement.status} ${c.enhancement.code}`, async () => {
    const response = await server.request('GET', ENHANCEMENT_ROUTE, { headers: await c.headers() });
    expectEnhancementError(response, c.enhancement.status, c.enhancement.code);
  });

  it(`hosting family → ${c.hosting.status} ${c.hosting.code}`, async () => {
    const response = await server.request('GET', HOSTING_ROUTE, { headers: await c.headers() });
    expectHostingError(response, c.hosting.status, c.hosting.code, c.hosting.message);
  });
});

describe('auth: working keys (the controls the failure cases are measured against)', () => {
  it('a live key of a verified account works on both families', async () => {
    const { key } = await accountWithKey(server);
    const enhancement = await server.request('GET', ENHANCEMENT_ROUTE, { key: key.key });
    expect(enhancement.status, enhancement.text).toBe(200);
    expect(enhancement.body.enhancements).toEqual([]);
    expect(enhancement.body.request_id).toBe(enhancement.headers.get('x-request-id'));
    const hosting = await server.request('GET', HOSTING_ROUTE, { key: key.key });
    expect(hosting.status, hosting.text).toBe(200);
    expect(hosting.body.verified).toBe(true);
  });

  it('each status change takes effect on the next request (same key: 200, then 401)', async () => {
    const { key } = await accountWithKey(server);
    expect((await server.request('GET', HOSTING_ROUTE, { key: key.key })).status).toBe(200);
    await patchKey(server, key.key_id, { status: 'inactive' });
    expectEnhancementError(
      await server.request('GET', ENHANCEMENT_ROUTE, { key: key.key }),
      401,
      'api_key_inactive',
    );
    await patchKey(server, key.key_id, { status: 'active' });
    expect((await server.request('GET', ENHANCEMENT_ROUTE, { key: key.key })).status).toBe(200);
  });

  it('a key with a future expires_at still works', async () => {
    const account = await createAccount(server, { verified: true });
    const key = await mintKey(server, account.id, {
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect((await server.request('GET', ENHANCEMENT_ROUTE, { key: key.key })).status).toBe(200);
    expect((await server.request('GET', HOSTING_ROUTE, { key: key.key })).status).toBe(200);
  });

  it('the scheme name is case-insensitive ("bearer")', async () => {
    const { key } = await accountWithKey(server);
    const response = await server.request('GET', HOSTING_ROUTE, {
      headers: { authorization: `bearer ${key.key}` },
    });
    expect(response.status, response.text).toBe(200);
  });
});

describe('auth: live key on an unverified account', () => {
  it('enhancement family → 403 email_not_verified', async () => {
    const { key } = await accountWithKey(server, { verified: false });
    const response = await server.request('GET', ENHANCEMENT_ROUTE, { key: key.key });
    expectEnhancementError(response, 403, 'email_not_verified');
  });

  it('hosting family → works (200)', async () => {
    const { key } = await accountWithKey(server, { verified: false });
    const response = await server.request('GET', HOSTING_ROUTE, { key: key.key });
    expect(response.status, response.text).toBe(200);
    expect(response.body.verified).toBe(false);
  });

  it('a test key of an unverified account works on the enhancement family (sandbox needs no verification)', async () => {
    const { key } = await accountWithKey(server, { verified: false, environment: 'test' });
    const response = await server.request('GET', ENHANCEMENT_ROUTE, { key: key.key });
    expect(response.status, response.text).toBe(200);
  });
});

describe('auth: a key anywhere but the Authorization header counts as missing', () => {
  const placements: {
    name: string;
    place: (key: string) => { path: string; headers: Record<string, string> };
  }[] = [
    { name: 'query ?api_key=', place: (key) => ({ path: `?api_key=${key}`, headers: {} }) },
    { name: 'query ?key=', place: (key) => ({ path: `?key=${key}`, headers: {} }) },
    { name: 'query ?access_token=', place: (key) => ({ path: `?access_token=${key}`, headers: {} }) },
    { name: 'cookie', place: (key) => ({ path: '', headers: { cookie: `api_key=${key}; key=${key}` } }) },
    { name: 'X-API-Key header', place: (key) => ({ path: '', headers: { 'x-api-key': key } }) },
  ];

  it.each(placements)(
    '$name → enhancement 401 missing_api_key, hosting 401 unauthorized',
    async ({ place }) => {
      const { key } = await accountWithKey(server);
      const enhancement = place(key.key);
      expectEnhancementError(
        await server.request('GET', `${ENHANCEMENT_ROUTE}${enhancement.path}`, {
          headers: enhancement.headers,
        }),
        401,
        'missing_api_key',
      );
      const hosting = place(key.key);
      expectHostingError(
        await server.request('GET', `${HOSTING_ROUTE}${hosting.path}`, { headers: hosting.headers }),
        401,
        'unauthorized',
      );
      // The same key in the header works, so the refusals above are about where it was put.
      expect((await server.request('GET', HOSTING_ROUTE, { key: key.key })).status).toBe(200);
    },
  );
});

describe('auth: last_used_at', () => {
  it('is null until the key is used, then set by a successful call (hosting)', async () => {
    const { account, key } = await accountWithKey(server);
    const before = await listKeys(server, account.id);
    expect(before).toHaveLength(1);
    expect(before[0]?.last_used_at).toBeNull();

    const startedAt = Date.now();
    expect((await server.request('GET', HOSTING_ROUTE, { key: key.key })).status).toBe(200);

    const after = await listKeys(server, account.id);
    const lastUsed = after[0]?.last_used_at;
    expect(lastUsed).toEqual(expect.any(String));
    const ms = Date.parse(lastUsed as string);
    expect(ms).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('is set by a successful call on the enhancement family, and not by a refused one', async () => {
    const { account, key } = await accountWithKey(server, { verified: false });
    // Refused (email not verified): the key was not used for anything.
    expect((await server.request('GET', ENHANCEMENT_ROUTE, { key: key.key })).status).toBe(403);
    expect((await listKeys(server, account.id))[0]?.last_used_at).toBeNull();

    await patchAccount(server, account.id, { email_verified: true });
    expect((await server.request('GET', ENHANCEMENT_ROUTE, { key: key.key })).status).toBe(200);
    expect((await listKeys(server, account.id))[0]?.last_used_at).toEqual(expect.any(String));
  });
});

describe('GET /api/v1/product-image-enhancements/{id}', () => {
  it('auth comes first: no key → 401 missing_api_key even for a bad id', async () => {
    expectEnhancementError(
      await server.request('GET', `${ENHANCEMENT_ROUTE}/not-a-uuid`),
      401,
      'missing_api_key',
    );
  });

  it.each(['not-a-uuid', '12345', `${randomUUID()}x`, randomUUID().replaceAll('-', '')])(
    'id %s → 400 invalid_enhancement_id',
    async (id) => {
      const { key } = await accountWithKey(server);
      expectEnhancementError(
        await server.request('GET', `${ENHANCEMENT_ROUTE}/${id}`, { key: key.key }),
        400,
        'invalid_enhancement_id',
      );
    },
  );

  it('an unknown UUID → 404 enhancement_not_found (live and test keys)', async () => {
    for (const environment of ['live', 'test'] as const) {
      const { key } = await accountWithKey(server, { environment });
      expectEnhancementError(
        await server.request('GET', `${ENHANCEMENT_ROUTE}/${randomUUID()}`, { key: key.key }),
        404,
        'enhancement_not_found',
      );
    }
  });
});
