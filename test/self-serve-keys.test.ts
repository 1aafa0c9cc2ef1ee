import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccount,
  findAccountsByEmail,
  listKeys,
  outbox,
  patchAccount,
  patchKey,
  pathOf,
  uniqueEmail,
} from './support/fixtures.ts';
import { startTestServer, type TestResponse, type TestServer } from './support/test-server.ts';

/** `/verify?t=…&exp=…&sig=…` (or another path) on the server's public URL. */
function expectSignedLink(url: string, server: TestServer, pathname: string): void {
  const parsed = new URL(url);
  expect(parsed.origin).toBe(server.url);
  expect(parsed.pathname).toBe(pathname);
  expect(parsed.searchParams.get('t')).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(parsed.searchParams.get('exp')).toMatch(/^\d+$/);
  expect(Number(parsed.searchParams.get('exp'))).toBeGreaterThan(Date.now() / 1000);
  expect(parsed.searchParams.get('sig')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
}

/**
 * Opens an approval link as its owner would: the page (GET) changes nothing and shows a form; submitting the form
 * (POST, the link's fields and the page's confirmation token) approves. Returns both answers.
 */
async function approveThroughPage(server: TestServer, url: string) {
  const page = await server.request('GET', pathOf(url));
  const fields = Object.fromEntries(
    [...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]),
  );
  const submitted = await server.request('POST', '/approve-key', {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  return { page, submitted };
}

function expectRateHeaders(response: TestResponse, limit: number): void {
  expect(response.headers.get('x-ratelimit-limit')).toBe(String(limit));
  const remaining = Number(response.headers.get('x-ratelimit-remaining'));
  expect(Number.isInteger(remaining) && remaining >= 0 && remaining < limit).toBe(true);
  const reset = Number(response.headers.get('x-ratelimit-reset'));
  const now = Math.floor(Date.now() / 1000);
  expect(reset).toBeGreaterThanOrEqual(now);
  expect(reset).toBeLessThanOrEqual(now + 3600 + 1);
}

function expectFlatError(response: TestResponse, status: number, code: string, fields: string[]): void {
  expect(response.status, response.text).toBe(status);
  expect(response.body.error).toBe(code);
  expect(typeof response.body.message).toBe('string');
  expect(response.body.request_id).toBe(response.headers.get('x-request-id'));
  expect(Object.keys(response.body).sort()).toEqual(['error', 'message', 'request_id', ...fields].sort());
}

describe('POST /v1/keys (generous per-IP limit)', () => {
  let server: TestServer;
  const requestKey = (body: unknown, headers: Record<string, string> = {}) =>
    server.request('POST', '/v1/keys', { json: body, headers });
  const countAccounts = async () =>
    ((await server.admin('GET', '/admin/v1/accounts?limit=1000')).body.data as unknown[]).length;

  beforeAll(async () => {
    server = await startTestServer({ LIGHTBOX_KEYS_PER_IP_PER_HOUR: '100000' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a new email → 201, an active live key on a new unverified account, and a verification email', async () => {
    const email = uniqueEmail();
    const response = await requestKey({ email });
    expect(response.status, response.text).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(
      ['key', 'key_id', 'limits', 'message', 'status', 'verified'].sort(),
    );
    expect(response.body.key).toMatch(/^img_live_[0-9A-Za-z]{36}$/);
    expect(response.body.key_id).toMatch(/^key_[0-9a-z]+$/);
    expect(response.body.status).toBe('active');
    expect(response.body.verified).toBe(false);
    expect(response.body.limits).toEqual({ uploads: 100, storage_mb: 5120, retention_days: 30 });
    expectRateHeaders(response, 5);

    const accounts = await findAccountsByEmail(server, email);
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ email, email_verified: false, plan: 'free' });
    const keys = await listKeys(server, accounts[0]?.id as string);
    expect(keys.map((k) => [k.key_id, k.environment, k.status, k.name])).toEqual([
      [response.body.key_id, 'live', 'active', 'Default'],
    ]);

    const mails = await outbox(server, email);
    expect(mails).toHaveLength(1);
    const verify = mails[0]?.links.find((l) => l.rel === 'verify');
    expect(verify).toBeDefined();
    expectSignedLink(verify?.url as string, server, '/verify');
    expect(mails[0]?.text).toContain(verify?.url);

    const usage = await server.request('GET', '/v1/usage', { key: response.body.key });
    expect(usage.status, usage.text).toBe(200);
    expect(usage.body).toMatchObject({ plan: 'free', verified: false, keys: { active: 1, limit: 3 } });
  });

  it('the key is shown once: the operator API lists only a hint', async () => {
    const email = uniqueEmail();
    const response = await requestKey({ email, name: 'CI' });
    expect(response.status).toBe(201);
    const [account] = await findAccountsByEmail(server, email);
    const keys = await listKeys(server, account?.id as string);
    expect(keys[0]?.name).toBe('CI');
    expect(JSON.stringify(keys)).not.toContain(response.body.key);
    expect(response.body.key.startsWith((keys[0]?.hint ?? '').replace('…', ''))).toBe(true);
  });

  it('environment "test" gives an img_test_ key that works on /v1/usage', async () => {
    const email = uniqueEmail();
    const response = await requestKey({ email, environment: 'test' });
    expect(response.status, response.text).toBe(201);
    expect(response.body.key).toMatch(/^img_test_[0-9A-Za-z]{36}$/);
    const [account] = await findAccountsByEmail(server, email);
    expect((await listKeys(server, account?.id as string))[0]?.environment).toBe('test');
    const usage = await server.request('GET', '/v1/usage', { key: response.body.key });
    expect(usage.status, usage.text).toBe(200);
  });

  it('the email is matched case- and space-insensitively', async () => {
    const email = uniqueEmail();
    expect((await requestKey({ email })).status).toBe(201);
    expect((await requestKey({ email: `  ${email.toUpperCase()} ` })).status).toBe(201);
    const accounts = await findAccountsByEmail(server, email);
    expect(accounts).toHaveLength(1);
    expect(await listKeys(server, accounts[0]?.id as string)).toHaveLength(2);
  });

  it('existing unverified account → more active keys up to 3, then 403 key_limit_reached with a verify action', async () => {
    const email = uniqueEmail();
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await requestKey({ email, name: `k${i}` });
      expect(response.status, response.text).toBe(201);
      expect(response.body.status).toBe('active');
      keys.push(response.body.key);
    }
    expect(new Set(keys).size).toBe(3);
    // Only the account's creation mails a verification link.
    expect(await outbox(server, email)).toHaveLength(1);

    const refused = await requestKey({ email });
    expectFlatError(refused, 403, 'key_limit_reached', ['action']);
    expect(refused.body.message).toBe(
      'Unverified accounts can have 3 active keys. Verify your email to create more.',
    );
    expect(refused.body.action).toEqual({
      type: 'verify',
      url: expect.any(String),
      label: 'Verify email to remove limit',
    });
    expectSignedLink(refused.body.action.url, server, '/verify');
    expectRateHeaders(refused, 5);

    const [account] = await findAccountsByEmail(server, email);
    const stored = await listKeys(server, account?.id as string);
    expect(stored).toHaveLength(3);

    // A revoked key frees a slot.
    await patchKey(server, stored[0]?.key_id as string, { status: 'revoked' });
    const again = await requestKey({ email });
    expect(again.status, again.text).toBe(201);
  });

  it('verified account with policy "approval" (the default) → 201 pending_approval; works only after approval', async () => {
    const account = await createAccount(server, { verified: true });
    expect(account.registration_policy).toBe('approval');
    const response = await requestKey({ email: account.email });
    expect(response.status, response.text).toBe(201);
    expect(response.body.status).toBe('pending_approval');
    expect(response.body.verified).toBe(true);
    expect(response.body.limits.retention_days).toBeNull();

    const before = await server.request('GET', '/v1/usage', { key: response.body.key });
    expect(before.status).toBe(401);
    expect(before.body.error).toBe('unauthorized');

    const mails = await outbox(server, account.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.links.map((l) => l.rel)).toEqual(['approve-key']);
    const approveUrl = mails[0]?.links[0]?.url as string;
    expectSignedLink(approveUrl, server, '/approve-key');

    const { page, submitted: approved } = await approveThroughPage(server, approveUrl);
    expect(page.status, page.text).toBe(200);
    expect(approved.status, approved.text).toBe(200);
    expect(approved.headers.get('content-type')).toMatch(/^text\/html/);

    const after = await server.request('GET', '/v1/usage', { key: response.body.key });
    expect(after.status, after.text).toBe(200);
    expect((await listKeys(server, account.id)).map((k) => k.status)).toEqual(['active']);
  });

  it('an approval link approves only its own key', async () => {
    const account = await createAccount(server, { verified: true });
    const first = await requestKey({ email: account.email, name: 'first' });
    const second = await requestKey({ email: account.email, name: 'second' });
    expect([first.body.status, second.body.status]).toEqual(['pending_approval', 'pending_approval']);
    const mails = await outbox(server, account.email);
    const forFirst = mails.find((m) => m.text.includes('"first"'));
    expect(forFirst).toBeDefined();
    const { submitted: approved } = await approveThroughPage(server, forFirst?.links[0]?.url as string);
    expect(approved.status).toBe(200);
    expect((await server.request('GET', '/v1/usage', { key: first.body.key })).status).toBe(200);
    expect((await server.request('GET', '/v1/usage', { key: second.body.key })).status).toBe(401);
  });

  it('verified account with policy "open" → an active key at once, no email', async () => {
    const account = await createAccount(server, { verified: true });
    await patchAccount(server, account.id, { registration_policy: 'open' });
    const response = await requestKey({ email: account.email });
    expect(response.status, response.text).toBe(201);
    expect(response.body.status).toBe('active');
    expect(response.body.verified).toBe(true);
    expect((await server.request('GET', '/v1/usage', { key: response.body.key })).status).toBe(200);
    expect(await outbox(server, account.email)).toEqual([]);
  });

  it('verified account with policy "closed" → 403 registration_closed with a redirect action; no key made', async () => {
    const account = await createAccount(server, { verified: true });
    await patchAccount(server, account.id, { registration_policy: 'closed' });
    const response = await requestKey({ email: account.email });
    expectFlatError(response, 403, 'registration_closed', ['action']);
    expect(response.body.message).toBe('This account does not accept new API key registrations.');
    expect(response.body.action).toEqual({
      type: 'redirect',
      url: `${server.url}/keys`,
      label: 'Request key from dashboard',
    });
    expectRateHeaders(response, 5);
    expect(await listKeys(server, account.id)).toEqual([]);
    expect(await outbox(server, account.email)).toEqual([]);
  });

  it.each(['not-an-email', 'a@b', '@example.test', 'two@@example.test', 'spaces in@example.test', ''])(
    'invalid email %j → 422 validation_error with errors.email, nothing created',
    async (email) => {
      const accountsBefore = await countAccounts();
      const response = await requestKey({ email });
      expectFlatError(response, 422, 'validation_error', ['errors']);
      expect(response.body.errors.email).toEqual([expect.any(String)]);
      expect(await countAccounts()).toBe(accountsBefore);
    },
  );

  it('name longer than 64 characters → 422 validation_error with errors.name', async () => {
    const email = uniqueEmail();
    const response = await requestKey({ email, name: 'x'.repeat(65) });
    expectFlatError(response, 422, 'validation_error', ['errors']);
    expect(response.body.errors.name).toEqual([expect.any(String)]);
    expect(await findAccountsByEmail(server, email)).toEqual([]);
  });

  it('two concurrent requests for a fresh email create exactly one account and two keys', async () => {
    const email = uniqueEmail();
    const [a, b] = await Promise.all([requestKey({ email }), requestKey({ email })]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.key).not.toBe(b.body.key);
    const accounts = await findAccountsByEmail(server, email);
    expect(accounts).toHaveLength(1);
    const keys = await listKeys(server, accounts[0]?.id as string);
    expect(keys.map((k) => k.key_id).sort()).toEqual([a.body.key_id, b.body.key_id].sort());
    expect(keys.every((k) => k.status === 'active')).toBe(true);
    // One account creation, one verification email.
    expect(await outbox(server, email)).toHaveLength(1);
  });

  it('many concurrent requests for one fresh unverified email never exceed 3 active keys', async () => {
    const email = uniqueEmail();
    const responses = await Promise.all(Array.from({ length: 5 }, () => requestKey({ email })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 403, 403]);
    const [account] = await findAccountsByEmail(server, email);
    expect(await listKeys(server, account?.id as string)).toHaveLength(3);
  });

  it('5 per email per hour: the 6th is 429 rate_limited with a wait action, Retry-After equal to action.seconds', async () => {
    const account = await createAccount(server, { verified: true });
    await patchAccount(server, account.id, { registration_policy: 'open' });
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await requestKey({ email: account.email });
      expect(response.status, response.text).toBe(201);
      expectRateHeaders(response, 5);
      remaining.push(Number(response.headers.get('x-ratelimit-remaining')));
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);

    const limited = await requestKey({ email: account.email });
    expectFlatError(limited, 429, 'rate_limited', ['action']);
    expect(limited.body.action).toEqual({ type: 'wait', seconds: expect.any(Number) });
    const seconds = limited.body.action.seconds as number;
    expect(Number.isInteger(seconds)).toBe(true);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(3600);
    expect(limited.headers.get('retry-after')).toBe(String(seconds));
    expectRateHeaders(limited, 5);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await listKeys(server, account.id)).toHaveLength(5);

    // The limit is per email: another address from the same client still gets a key.
    expect((await requestKey({ email: uniqueEmail() })).status).toBe(201);
  });
});

describe('POST /v1/keys per-IP limit (3 per hour), no trusted proxy', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ LIGHTBOX_KEYS_PER_IP_PER_HOUR: '3' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('the 4th request from one IP is 429 whatever the email, and X-Forwarded-For is ignored', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await server.request('POST', '/v1/keys', {
        json: { email: uniqueEmail() },
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
      });
      expect(response.status, response.text).toBe(201);
      expectRateHeaders(response, 3);
    }
    const email = uniqueEmail();
    const limited = await server.request('POST', '/v1/keys', {
      json: { email },
      headers: { 'x-forwarded-for': '198.51.100.77' },
    });
    expectFlatError(limited, 429, 'rate_limited', ['action']);
    expect(limited.body.action.type).toBe('wait');
    expect(limited.headers.get('retry-after')).toBe(String(limited.body.action.seconds));
    expectRateHeaders(limited, 3);
    expect(await findAccountsByEmail(server, email)).toEqual([]);
  });
});

describe('POST /v1/keys: invalid requests spend the IP budget and carry the rate headers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ LIGHTBOX_KEYS_PER_IP_PER_HOUR: '3' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a 422 has X-RateLimit-* and counts, so junk floods are limited too', async () => {
    const invalid = await server.request('POST', '/v1/keys', { json: { email: 'not-an-email' } });
    expectFlatError(invalid, 422, 'validation_error', ['errors']);
    expectRateHeaders(invalid, 3);
    expect(invalid.headers.get('x-ratelimit-remaining')).toBe('2');
    const malformed = await server.request('POST', '/v1/keys', { json: '{"email":' });
    expect(malformed.status).toBe(422);
    expect(malformed.headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await server.request('POST', '/v1/keys', { json: { email: uniqueEmail() } })).status).toBe(201);
    expect((await server.request('POST', '/v1/keys', { json: { email: uniqueEmail() } })).status).toBe(429);
  });
});

describe('POST /v1/keys per-IP limit behind a trusted proxy (LIGHTBOX_TRUSTED_PROXIES=127.0.0.1)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      LIGHTBOX_KEYS_PER_IP_PER_HOUR: '3',
      LIGHTBOX_TRUSTED_PROXIES: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  const fromClient = (ip: string) =>
    server.request('POST', '/v1/keys', {
      json: { email: uniqueEmail() },
      headers: { 'x-forwarded-for': ip },
    });

  it('X-Forwarded-For from the trusted proxy separates clients', async () => {
    for (let i = 0; i < 3; i++) expect((await fromClient('203.0.113.10')).status).toBe(201);
    const limited = await fromClient('203.0.113.10');
    expectFlatError(limited, 429, 'rate_limited', ['action']);
    // Another client behind the same proxy has its own budget.
    const other = await fromClient('203.0.113.11');
    expect(other.status, other.text).toBe(201);
    expect(other.headers.get('x-ratelimit-remaining')).toBe('2');
  });
});
