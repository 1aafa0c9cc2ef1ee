import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccount,
  getAccount,
  listKeys,
  mailedLink,
  outbox,
  pathOf,
  uniqueEmail,
} from './support/fixtures.ts';
import { startTestServer, type TestResponse, type TestServer } from './support/test-server.ts';

const DAY_MS = 86_400_000;
const BILLING_URL = 'https://billing.example.test/checkout';

function expectPage(response: TestResponse, status: number, title: RegExp): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.text).toMatch(/^<!doctype html>/i);
  expect(response.text).toMatch(title);
}

const expectInvalidPage = (response: TestResponse) => expectPage(response, 400, /invalid or has expired/);

/** Sets one query parameter of a link to `value`. */
function withParam(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return `${parsed.pathname}${parsed.search}`;
}

function flip(text: string): string {
  const last = text.at(-1);
  return `${text.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ LIGHTBOX_KEYS_PER_IP_PER_HOUR: '100000' });
});
afterAll(async () => {
  await server?.close();
});

/** A self-serve account (unverified) and the verify link mailed to it. */
async function selfServeAccount(): Promise<{ email: string; accountId: string; verifyUrl: string }> {
  const email = uniqueEmail();
  const created = await server.request('POST', '/v1/keys', { json: { email } });
  expect(created.status, created.text).toBe(201);
  const verifyUrl = await mailedLink(server, email, 'verify');
  const accounts = (await server.admin('GET', `/admin/v1/accounts?email=${encodeURIComponent(email)}`)).body
    .data;
  return { email, accountId: accounts[0].id, verifyUrl };
}

describe('/verify', () => {
  it('the emailed link marks the account verified, and opening it again is harmless', async () => {
    const { accountId, verifyUrl } = await selfServeAccount();
    expect((await getAccount(server, accountId)).email_verified).toBe(false);

    expectPage(await server.request('GET', pathOf(verifyUrl)), 200, /Email verified/);
    expect((await getAccount(server, accountId)).email_verified).toBe(true);

    expectPage(await server.request('GET', pathOf(verifyUrl)), 200, /Email verified/);
    expect((await getAccount(server, accountId)).email_verified).toBe(true);
  });

  it('after verification, /v1/keys for the email follows the registration policy (approval)', async () => {
    const { email, verifyUrl } = await selfServeAccount();
    await server.request('GET', pathOf(verifyUrl));
    const next = await server.request('POST', '/v1/keys', { json: { email } });
    expect(next.status, next.text).toBe(201);
    expect(next.body).toMatchObject({ status: 'pending_approval', verified: true });
  });

  it('the verify action of key_limit_reached does not verify by itself: it mails a verify link to the owner', async () => {
    const { email, accountId } = await selfServeAccount();
    for (let i = 0; i < 2; i++)
      expect((await server.request('POST', '/v1/keys', { json: { email } })).status).toBe(201);
    const refused = await server.request('POST', '/v1/keys', { json: { email } });
    expect(refused.body.error).toBe('key_limit_reached');
    const requestUrl = refused.body.action.url as string;
    expect(new URL(requestUrl).pathname).toBe('/verify');
    expect(await outbox(server, email)).toHaveLength(1);

    const page = await server.request('GET', pathOf(requestUrl));
    expectPage(page, 200, /Check your inbox/);
    // The page names the address only masked: the caller may not be its owner.
    expect(page.text).not.toContain(email);
    expect((await getAccount(server, accountId)).email_verified).toBe(false);

    const mails = await outbox(server, email);
    expect(mails).toHaveLength(2);
    const verifyLinks = mails.flatMap((m) => m.links).filter((l) => l.rel === 'verify');
    expect(verifyLinks).toHaveLength(2);
    const newest = mails[0]?.links.find((l) => l.rel === 'verify')?.url as string;
    expect(newest).not.toBe(requestUrl);

    expectPage(await server.request('GET', pathOf(newest)), 200, /Email verified/);
    expect((await getAccount(server, accountId)).email_verified).toBe(true);

    // Once verified, the request link mails nothing more.
    expectPage(await server.request('GET', pathOf(requestUrl)), 200, /already verified/);
    expect(await outbox(server, email)).toHaveLength(2);
  });

  const tamperings: { name: string; tamper: (url: string, other: string) => string }[] = [
    {
      name: 'sig changed',
      tamper: (url) => withParam(url, 'sig', flip(new URL(url).searchParams.get('sig') ?? '')),
    },
    {
      name: 't pointed at another account',
      tamper: (url, other) => withParam(url, 't', Buffer.from(`verify:${other}`).toString('base64url')),
    },
    {
      name: 't changed by one character',
      tamper: (url) => withParam(url, 't', flip(new URL(url).searchParams.get('t') ?? '')),
    },
    {
      name: 'exp extended',
      tamper: (url) => withParam(url, 'exp', String(Number(new URL(url).searchParams.get('exp')) + 86_400)),
    },
    { name: 'sig missing', tamper: (url) => pathOf(url).replace(/&sig=[^&]*/, '') },
    { name: 'no query at all', tamper: () => '/verify' },
    { name: 'sig empty', tamper: (url) => withParam(url, 'sig', '') },
  ];

  it.each(tamperings)('a tampered link ($name) → 400 error page, nothing changes', async ({ tamper }) => {
    const { email, accountId, verifyUrl } = await selfServeAccount();
    const other = await createAccount(server);
    const mailsBefore = await outbox(server, email);

    expectInvalidPage(await server.request('GET', tamper(verifyUrl, other.id)));

    expect((await getAccount(server, accountId)).email_verified).toBe(false);
    expect((await getAccount(server, other.id)).email_verified).toBe(false);
    expect(await outbox(server, email)).toEqual(mailsBefore);
    // The untouched link still works, so the refusal was about the tampering.
    expectPage(await server.request('GET', pathOf(verifyUrl)), 200, /Email verified/);
  });

  it('an expired link → 400 error page, nothing changes', async () => {
    const { accountId } = await selfServeAccount();
    const expired = server.services.links.create(
      { purpose: 'verify', subject: accountId },
      Date.now() - 8 * DAY_MS,
    );
    expect(Number(new URL(expired).searchParams.get('exp')) * 1000).toBeLessThan(Date.now());
    expectInvalidPage(await server.request('GET', pathOf(expired)));
    expect((await getAccount(server, accountId)).email_verified).toBe(false);

    const fresh = server.services.links.create(
      { purpose: 'verify', subject: accountId },
      Date.now() - 6 * DAY_MS,
    );
    expectPage(await server.request('GET', pathOf(fresh)), 200, /Email verified/);
    expect((await getAccount(server, accountId)).email_verified).toBe(true);
  });

  it('an expired verify-request link mails nothing', async () => {
    const { email, accountId } = await selfServeAccount();
    const expired = server.services.links.create(
      { purpose: 'verify-request', subject: accountId },
      Date.now() - 8 * DAY_MS,
    );
    expectInvalidPage(await server.request('GET', pathOf(expired)));
    expect(await outbox(server, email)).toHaveLength(1);
  });

  it('a link of another purpose is refused at /verify (approve, upgrade)', async () => {
    const { accountId } = await selfServeAccount();
    for (const link of [
      server.services.links.create({ purpose: 'approve', subject: accountId }),
      server.services.links.create({ purpose: 'upgrade', subject: accountId, plan: 'pro' }),
    ]) {
      const query = new URL(link).search;
      expectInvalidPage(await server.request('GET', `/verify${query}`));
    }
    expect((await getAccount(server, accountId)).email_verified).toBe(false);
  });

  it('a genuine link for an account that no longer exists → 400', async () => {
    const link = server.services.links.create({ purpose: 'verify', subject: 'acc_doesnotexist0000' });
    expectInvalidPage(await server.request('GET', pathOf(link)));
  });
});

/** The hidden fields of the page's form, as a browser would submit them. */
function formFields(html: string): Record<string, string> {
  const decodeEntities = (text: string) =>
    text.replace(
      /&(amp|lt|gt|quot|#39);/g,
      (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '',
    );
  return Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1] as string,
      decodeEntities(m[2] as string),
    ]),
  );
}

const postForm = (fields: Record<string, string>) =>
  server.request('POST', '/approve-key', {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

/** A verified account (policy approval), a key pending approval for it and the approval link mailed. */
async function pendingKey() {
  const account = await createAccount(server, { verified: true });
  const created = await server.request('POST', '/v1/keys', { json: { email: account.email, name: 'ci' } });
  expect(created.body.status).toBe('pending_approval');
  const approveUrl = await mailedLink(server, account.email, 'approve-key');
  return {
    account,
    created,
    approveUrl,
    status: async () => (await listKeys(server, account.id))[0]?.status,
  };
}

describe('/approve-key', () => {
  it('opening the link (GET, even twice) only shows a confirmation page; the key stays pending', async () => {
    const { created, approveUrl, status } = await pendingKey();
    for (let i = 0; i < 2; i++) {
      const page = await server.request('GET', pathOf(approveUrl));
      expectPage(page, 200, /Approve API key\?/);
      expect(page.text).toMatch(/<form method="post" action="approve-key">/);
      expect(page.text).toContain('ci');
      expect(page.text).not.toMatch(/<script/i);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(page.headers.get('content-security-policy')).not.toMatch(/script-src|unsafe-inline/);
      expect(await status()).toBe('pending_approval');
    }
    expect((await server.request('GET', '/v1/usage', { key: created.body.key })).status).toBe(401);
  });

  it("the page's form (POST) approves the key; submitting it again → already approved, nothing else changes", async () => {
    const { created, approveUrl, status } = await pendingKey();
    const fields = formFields((await server.request('GET', pathOf(approveUrl))).text);
    const link = new URL(approveUrl).searchParams;
    expect(fields).toEqual({
      t: link.get('t'),
      exp: link.get('exp'),
      sig: link.get('sig'),
      confirm: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });

    expectPage(await postForm(fields), 200, /Key approved/);
    expect(await status()).toBe('active');
    expect((await server.request('GET', '/v1/usage', { key: created.body.key })).status).toBe(200);

    const replay = await postForm(fields);
    expectPage(replay, 200, /Key already approved/);
    expect(await status()).toBe('active');
    // Opening the link afterwards says so too, and offers no form.
    const after = await server.request('GET', pathOf(approveUrl));
    expectPage(after, 200, /Key already approved/);
    expect(after.text).not.toContain('<form');
  });

  it.each([
    ['no confirmation token', (f: Record<string, string>) => ({ ...f, confirm: '' })],
    ['a tampered token', (f: Record<string, string>) => ({ ...f, confirm: flip(f.confirm ?? '') })],
    ['the token of another link', (f: Record<string, string>, other: string) => ({ ...f, confirm: other })],
    ['the link signature as token', (f: Record<string, string>) => ({ ...f, confirm: f.sig ?? '' })],
  ])('a POST with %s → 403 page, the key stays pending', async (_name, tamper) => {
    const { approveUrl, status } = await pendingKey();
    const other = await pendingKey();
    const fields = formFields((await server.request('GET', pathOf(approveUrl))).text);
    const otherToken = formFields((await server.request('GET', pathOf(other.approveUrl))).text).confirm ?? '';
    const refused = await postForm(tamper(fields, otherToken));
    expectPage(refused, 403, /Approval not confirmed/);
    expect(refused.text).toMatch(/Nothing was changed/);
    expect(await status()).toBe('pending_approval');
    expect(await other.status()).toBe('pending_approval');
    // The genuine form still works, so the refusal was about the token.
    expectPage(await postForm(fields), 200, /Key approved/);
  });

  it("a POST of the link's parameters without its page (no form), as JSON or as text → refused", async () => {
    const { approveUrl, status } = await pendingKey();
    const link = new URL(approveUrl).searchParams;
    const bare = { t: link.get('t') ?? '', exp: link.get('exp') ?? '', sig: link.get('sig') ?? '' };
    expectPage(await postForm(bare), 403, /Approval not confirmed/);
    expectPage(
      await server.request('POST', `/approve-key${new URL(approveUrl).search}`, { json: {} }),
      400,
      /invalid or has expired/,
    );
    expectInvalidPage(
      await server.request('POST', '/approve-key', { body: 'x', headers: { 'content-type': 'text/plain' } }),
    );
    expect(await status()).toBe('pending_approval');
  });

  it('a form whose link was tampered with (or expired) → 400, even with its own token', async () => {
    const { created, approveUrl, status } = await pendingKey();
    const fields = formFields((await server.request('GET', pathOf(approveUrl))).text);
    expectPage(
      await postForm({ ...fields, exp: String(Number(fields.exp) + 86_400) }),
      400,
      /invalid or has expired/,
    );
    expectPage(
      await postForm({ ...fields, t: Buffer.from('approve:key_someoneelse0000').toString('base64url') }),
      400,
      /invalid or has expired/,
    );
    const expired = new URL(
      server.services.links.create(
        { purpose: 'approve', subject: created.body.key_id },
        Date.now() - 8 * DAY_MS,
      ),
    ).searchParams;
    const sig = expired.get('sig') ?? '';
    expectPage(
      await postForm({
        t: expired.get('t') ?? '',
        exp: expired.get('exp') ?? '',
        sig,
        confirm: server.services.links.confirmationToken('/approve-key', sig),
      }),
      400,
      /invalid or has expired/,
    );
    expect(await status()).toBe('pending_approval');
  });

  it('a key revoked before approval cannot be approved (409) and stays revoked', async () => {
    const { created, approveUrl, status } = await pendingKey();
    const fields = formFields((await server.request('GET', pathOf(approveUrl))).text);
    await server.admin('PATCH', `/admin/v1/keys/${created.body.key_id}`, { status: 'revoked' });
    expectPage(await server.request('GET', pathOf(approveUrl)), 409, /Nothing to approve/);
    expectPage(await postForm(fields), 409, /Nothing to approve/);
    expect(await status()).toBe('revoked');
    expect((await server.request('GET', '/v1/usage', { key: created.body.key })).status).toBe(401);
  });

  it('a tampered or expired approval link → 400 and the key stays pending', async () => {
    const { created, approveUrl, status } = await pendingKey();
    expectInvalidPage(
      await server.request(
        'GET',
        withParam(approveUrl, 'sig', flip(new URL(approveUrl).searchParams.get('sig') ?? '')),
      ),
    );
    const expired = server.services.links.create(
      { purpose: 'approve', subject: created.body.key_id },
      Date.now() - 8 * DAY_MS,
    );
    expectInvalidPage(await server.request('GET', pathOf(expired)));
    // A verify link carried to the approval page is refused too.
    const verify = server.services.links.create({ purpose: 'verify', subject: created.body.key_id });
    expectInvalidPage(await server.request('GET', `/approve-key${new URL(verify).search}`));
    expect(await status()).toBe('pending_approval');
  });
});

describe('/upgrade/<plan> without a billing URL', () => {
  it('shows a page telling the user how to upgrade', async () => {
    const account = await createAccount(server, { verified: true });
    const link = server.services.links.create({ purpose: 'upgrade', subject: account.id, plan: 'pro' });
    expect(new URL(link).pathname).toBe('/upgrade/pro');
    const page = await server.request('GET', pathOf(link));
    expectPage(page, 200, /Upgrade to Pro \(\$10\/mo\)/);
    expect(page.headers.get('location')).toBeNull();
    expect((await getAccount(server, account.id)).plan).toBe('free');
  });

  it('a link for one plan does not work for another, and tampering or expiry is refused', async () => {
    const account = await createAccount(server, { verified: true });
    const link = server.services.links.create({ purpose: 'upgrade', subject: account.id, plan: 'pro' });
    expectInvalidPage(await server.request('GET', `/upgrade/free${new URL(link).search}`));
    expectInvalidPage(await server.request('GET', withParam(link, 'exp', '99999999999')));
    const expired = server.services.links.create(
      { purpose: 'upgrade', subject: account.id, plan: 'pro' },
      Date.now() - 8 * DAY_MS,
    );
    expectInvalidPage(await server.request('GET', pathOf(expired)));
    const unknownPlan = server.services.links.create({
      purpose: 'upgrade',
      subject: account.id,
      plan: 'gold',
    });
    expectInvalidPage(await server.request('GET', pathOf(unknownPlan)));
  });
});

describe('/upgrade/<plan> with LIGHTBOX_BILLING_URL', () => {
  let billingServer: TestServer;
  beforeAll(async () => {
    billingServer = await startTestServer({ LIGHTBOX_BILLING_URL: BILLING_URL });
  });
  afterAll(async () => {
    await billingServer?.close();
  });

  it('redirects to the billing URL with account and plan', async () => {
    const account = await createAccount(billingServer, { verified: true, email: uniqueEmail() });
    const link = billingServer.services.links.create({
      purpose: 'upgrade',
      subject: account.id,
      plan: 'pro',
    });
    const response = await billingServer.request('GET', pathOf(link));
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(BILLING_URL);
    expect(location.searchParams.get('account')).toBe(account.id);
    expect(location.searchParams.get('plan')).toBe('pro');
  });

  it('a tampered link is not forwarded', async () => {
    const account = await createAccount(billingServer, { verified: true });
    const link = billingServer.services.links.create({
      purpose: 'upgrade',
      subject: account.id,
      plan: 'pro',
    });
    const response = await billingServer.request(
      'GET',
      withParam(link, 't', Buffer.from('upgrade:acc_someoneelse00000').toString('base64url')),
    );
    expectInvalidPage(response);
    expect(response.headers.get('location')).toBeNull();
  });
});
