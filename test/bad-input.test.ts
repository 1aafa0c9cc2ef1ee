import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithKey, uniqueEmail } from './support/fixtures.ts';
import { startTestServer, type TestResponse, type TestServer } from './support/test-server.ts';

const BODY_LIMIT = 2048;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    LIGHTBOX_JSON_BODY_LIMIT: String(BODY_LIMIT),
    LIGHTBOX_KEYS_PER_IP_PER_HOUR: '100000',
  });
});
afterAll(async () => {
  await server?.close();
});

/** What a bad request must not change: the accounts, the keys and the outbox. */
async function snapshot(): Promise<{ accounts: number; keys: number; mails: number }> {
  const [accounts, keys, mails] = await Promise.all([
    server.admin('GET', '/admin/v1/accounts?limit=1000'),
    server.admin('GET', '/admin/v1/keys'),
    server.admin('GET', '/admin/v1/outbox?limit=1000'),
  ]);
  return { accounts: accounts.body.data.length, keys: keys.body.data.length, mails: mails.body.data.length };
}

function expectFlat(response: TestResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.body.error).toBe(code);
  expect(typeof response.body.message).toBe('string');
  expect(response.body.request_id).toBe(response.headers.get('x-request-id'));
}

function expectNested(response: TestResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(response.body)).toEqual(['error']);
  expect(Object.keys(response.body.error).sort()).toEqual(['code', 'message', 'request_id']);
  expect(response.body.error.code).toBe(code);
  expect(response.body.error.request_id).toBe(response.headers.get('x-request-id'));
}

const oversizeJson = () => JSON.stringify({ email: uniqueEmail(), name: 'x'.repeat(4096) });

interface BadBody {
  name: string;
  body: string | undefined;
  contentType: string | undefined;
  /** The field hosting's `errors` names. */
  field: string;
}

const badBodies: BadBody[] = [
  {
    name: 'malformed JSON',
    body: '{"email": "a@example.test",',
    contentType: 'application/json',
    field: 'body',
  },
  {
    name: 'JSON with a trailing garbage',
    body: '{"email": "a@example.test"} x',
    contentType: 'application/json',
    field: 'body',
  },
  { name: 'empty JSON body', body: '', contentType: 'application/json', field: 'body' },
  { name: 'a JSON array', body: '[]', contentType: 'application/json', field: 'body' },
  { name: 'a JSON string', body: '"a@example.test"', contentType: 'application/json', field: 'body' },
  { name: 'null', body: 'null', contentType: 'application/json', field: 'body' },
  { name: 'email of the wrong type', body: '{"email": 5}', contentType: 'application/json', field: 'email' },
  { name: 'email null', body: '{"email": null}', contentType: 'application/json', field: 'email' },
  { name: 'missing email', body: '{"name": "x"}', contentType: 'application/json', field: 'email' },
  {
    name: 'environment out of range',
    body: `{"email": "${uniqueEmail()}", "environment": "prod"}`,
    contentType: 'application/json',
    field: 'environment',
  },
  {
    name: 'prototype poisoning',
    body: `{"email": "${uniqueEmail()}", "__proto__": {"admin": true}}`,
    contentType: 'application/json',
    field: 'body',
  },
  {
    name: `body over the ${BODY_LIMIT}-byte limit`,
    body: oversizeJson(),
    contentType: 'application/json',
    field: 'body',
  },
  {
    name: 'wrong content type (application/xml)',
    body: '<email>a@example.test</email>',
    contentType: 'application/xml',
    field: 'body',
  },
  {
    name: 'wrong content type (form)',
    body: `email=${encodeURIComponent(uniqueEmail())}`,
    contentType: 'application/x-www-form-urlencoded',
    field: 'body',
  },
  {
    name: 'JSON sent as text/plain',
    body: `{"email": "${uniqueEmail()}"}`,
    contentType: 'text/plain',
    field: 'body',
  },
  { name: 'no body at all', body: undefined, contentType: undefined, field: 'body' },
];

describe('hosting family: POST /v1/keys with a bad body → 422 validation_error, never a 500, nothing changed', () => {
  it.each(badBodies)('$name', async ({ body, contentType, field }) => {
    const before = await snapshot();
    const response = await server.request('POST', '/v1/keys', {
      ...(body !== undefined ? { body } : {}),
      headers: contentType ? { 'content-type': contentType } : {},
    });
    expectFlat(response, 422, 'validation_error');
    expect(Object.keys(response.body).sort()).toEqual(['error', 'errors', 'message', 'request_id']);
    expect(response.body.message).toBe('Validation failed');
    expect(response.body.errors[field]).toEqual([expect.any(String)]);
    expect(await snapshot()).toEqual(before);
  });

  it('a multipart form instead of JSON → 422, nothing changed', async () => {
    const before = await snapshot();
    const form = new FormData();
    form.set('email', uniqueEmail());
    const response = await server.request('POST', '/v1/keys', { body: form });
    expectFlat(response, 422, 'validation_error');
    expect(response.body.errors.body).toEqual([expect.any(String)]);
    expect(await snapshot()).toEqual(before);
  });

  it('a value outside a list of choices names the choices once', async () => {
    const response = await server.request('POST', '/v1/keys', {
      json: { email: uniqueEmail(), environment: 'prod' },
    });
    expectFlat(response, 422, 'validation_error');
    expect(response.body.errors).toEqual({ environment: ['Must be one of: live, test'] });
  });

  it('control: the same route with a good body creates an account', async () => {
    const before = await snapshot();
    const response = await server.request('POST', '/v1/keys', { json: { email: uniqueEmail() } });
    expect(response.status, response.text).toBe(201);
    expect(await snapshot()).toEqual({
      accounts: before.accounts + 1,
      keys: before.keys + 1,
      mails: before.mails + 1,
    });
  });

  it('a body just under the limit is accepted', async () => {
    const body = JSON.stringify({ email: uniqueEmail(), name: 'n' });
    expect(body.length).toBeLessThan(BODY_LIMIT);
    const response = await server.request('POST', '/v1/keys', { json: body });
    expect(response.status, response.text).toBe(201);
  });
});

describe('operator API (nested envelope) with a bad body → 400 invalid_payload, never a 500, nothing changed', () => {
  it.each(badBodies)('POST /admin/v1/accounts: $name', async ({ body, contentType }) => {
    const before = await snapshot();
    const response = await server.request('POST', '/admin/v1/accounts', {
      key: server.adminToken,
      ...(body !== undefined ? { body } : {}),
      headers: contentType ? { 'content-type': contentType } : {},
    });
    expectNested(response, 400, 'invalid_payload');
    expect(await snapshot()).toEqual(before);
  });

  it('PATCH /admin/v1/accounts/{id} with malformed JSON leaves the account alone', async () => {
    const { account } = await accountWithKey(server);
    const response = await server.request('PATCH', `/admin/v1/accounts/${account.id}`, {
      key: server.adminToken,
      body: '{"suspended": tru',
      headers: { 'content-type': 'application/json' },
    });
    expectNested(response, 400, 'invalid_payload');
    expect((await server.admin('GET', `/admin/v1/accounts/${account.id}`)).body.suspended).toBe(false);
  });

  it('auth is checked before the body: no token + oversize body → 401', async () => {
    const response = await server.request('POST', '/admin/v1/accounts', {
      body: oversizeJson(),
      headers: { 'content-type': 'application/json' },
    });
    expectNested(response, 401, 'missing_api_key');
  });
});

describe('enhancement family: bad query input → 400 invalid_payload in the nested envelope', () => {
  it.each([
    'limit=abc',
    'limit=0',
    'limit=101',
    'status=exploded',
    'cursor=not-a-cursor',
    `cursor=${'x'.repeat(300)}`,
  ])('GET /api/v1/product-image-enhancements?%s', async (query) => {
    const { key } = await accountWithKey(server, { environment: 'test' });
    const response = await server.request('GET', `/api/v1/product-image-enhancements?${query}`, {
      key: key.key,
    });
    expectNested(response, 400, 'invalid_payload');
  });

  it('control: a valid query answers 200', async () => {
    const { key } = await accountWithKey(server, { environment: 'test' });
    const response = await server.request('GET', '/api/v1/product-image-enhancements?limit=5&status=queued', {
      key: key.key,
    });
    expect(response.status, response.text).toBe(200);
  });

  it('auth is checked before the query: no key + bad query → 401 missing_api_key', async () => {
    expectNested(
      await server.request('GET', '/api/v1/product-image-enhancements?limit=abc'),
      401,
      'missing_api_key',
    );
  });
});

describe('unknown routes → 404 in the family envelope', () => {
  const withBody = (method: string, json: unknown) => (method === 'GET' ? {} : { json });
  it.each([
    ['GET', '/v1/nothing'],
    ['DELETE', '/v1/keys'],
    ['POST', '/v1/usage'],
    ['GET', '/nothing-at-all'],
  ])('hosting: %s %s → flat 404 not_found', async (method, route) => {
    const response = await server.request(method, route, withBody(method, { email: uniqueEmail() }));
    expectFlat(response, 404, 'not_found');
    expect(Object.keys(response.body).sort()).toEqual(['error', 'message', 'request_id']);
  });

  it.each([
    ['GET', '/api/v1/nothing'],
    ['POST', '/api/v1/product-image-enhancement-presets'],
    ['DELETE', '/api/v1/product-image-enhancements'],
  ])('enhancement: %s %s → nested 404 not_found', async (method, route) => {
    expectNested(await server.request(method, route, withBody(method, {})), 404, 'not_found');
  });

  it.each([
    ['GET', '/admin/v1/nothing'],
    ['PUT', '/admin/v1/accounts'],
  ])('operator: %s %s → nested 404 not_found', async (method, route) => {
    expectNested(
      await server.request(method, route, { key: server.adminToken, ...withBody(method, {}) }),
      404,
      'not_found',
    );
  });

  it('the 404 message does not echo the query string', async () => {
    const response = await server.request('GET', '/v1/nothing?secret=abc123');
    expectFlat(response, 404, 'not_found');
    expect(response.text).not.toContain('abc123');
  });
});
