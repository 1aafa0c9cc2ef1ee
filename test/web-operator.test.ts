// The operator pages' access over real HTTP (docs/web.md, "Operator pages"): sign-in with the admin token
// (constant-time, rate limited per IP, never echoed), operator sessions (rotation, idle and absolute expiry,
// sign-out), CSRF on every operator form (walked from the registry), owners and operators kept apart both ways.
// What each page does: web-operator-pages.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashOperatorSecret, hashSecret } from '../src/sessions/secrets.ts';
import { FORMS, PAGES } from '../src/web/pages/index.ts';
import { createAccount, mintKey, uniqueEmail } from './support/fixtures.ts';
import { type HttpsReceiver, startHttpsReceiver, testCertificate } from './support/https-receiver.ts';
import {
  failedWebhookEvent,
  type OperatorSession,
  operatorCookieOf,
  operatorCsrfOf,
  operatorSessionFor,
  operatorSignIn,
} from './support/operator-session.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { BROWSER_ACCEPT, postForm, signIn } from './support/web-session.ts';

const MINUTE_MS = 60_000;
const cert = testCertificate();

let server: TestServer;
let sources: Awaited<ReturnType<typeof startProductSource>>;
let receiver: HttpsReceiver;

beforeAll(async () => {
  sources = await startProductSource();
  receiver = await startHttpsReceiver(cert, () => 500);
  server = await startTestServer({
    LIGHTBOX_SIGN_IN_PER_EMAIL_PER_HOUR: '1000',
    LIGHTBOX_SIGN_IN_PER_IP_PER_HOUR: '100000',
    LIGHTBOX_ADMIN_SIGN_IN_PER_IP_PER_HOUR: '100000',
    LIGHTBOX_ADMIN_SESSION_IDLE_MINUTES: '30',
    LIGHTBOX_ADMIN_SESSION_MAX_HOURS: '8',
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
    LIGHTBOX_WEBHOOK_RETRY_DELAYS: '0.1',
  });
});
afterAll(async () => {
  await server?.close();
  await receiver?.close();
  await sources?.close();
});

const operatorPages = PAGES.filter((p) => p.access === 'operator');
const operatorForms = FORMS.filter((f) => f.access === 'operator');

/** Whether a cookie opens the operator pages (200) or is sent to sign in (302). */
async function adminWith(cookie: string): Promise<number> {
  const page = await server.request('GET', '/admin', { headers: { cookie, accept: BROWSER_ACCEPT } });
  if (page.status === 302) expect(page.headers.get('location')).toBe('/admin/sign-in?next=%2Fadmin');
  return page.status;
}

const operatorRows = () =>
  server.services.store.db.selectFrom('web_sessions').selectAll().where('kind', '=', 'operator').execute();

const idOf = (cookie: string) => cookie.split('=')[1] as string;

const failedEvent = () => failedWebhookEvent(server, { sourceBase: sources.base, receiverUrl: receiver.url });

describe('operator sign-in with the admin token', () => {
  it('every operator page sends a browser without an operator session to sign in', async () => {
    expect(operatorPages.length).toBeGreaterThanOrEqual(5);
    for (const page of operatorPages) {
      const path = page.path.replace(':id', 'acc_x');
      const gate = await server.request('GET', path, { headers: { accept: BROWSER_ACCEPT } });
      expect(gate.status, path).toBe(302);
      expect(gate.headers.get('location')).toBe(`/admin/sign-in?next=${encodeURIComponent(path)}`);
      expect(gate.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('a wrong token gets the form again (401), never echoed, with no cookie and no session', async () => {
    const before = (await operatorRows()).length;
    for (const token of [
      '',
      'wrong-token',
      `${server.adminToken}x`,
      server.adminToken.slice(0, -1),
      'x'.repeat(5000),
    ]) {
      const refused = await postForm(server, '/admin/sign-in', { token });
      expect(refused.status, token.slice(0, 12)).toBe(401);
      expect(refused.text).toContain('That is not the admin token of this server.');
      expect(refused.text).toContain('aria-invalid="true"');
      if (token.length > 8) expect(refused.text).not.toContain(token);
      expect(operatorCookieOf(refused)).toBeUndefined();
    }
    expect(await operatorRows()).toHaveLength(before);
  });

  it('the right token starts a session: cookie HttpOnly, SameSite=Strict, its own name; the token is in no answer', async () => {
    const signedIn = await postForm(server, '/admin/sign-in', {
      token: server.adminToken,
      next: '/admin/outbox',
    });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/admin/outbox');
    const cookie = operatorCookieOf(signedIn);
    expect(cookie?.pair).toMatch(/^lightbox_operator=lbsess_[A-Za-z0-9_-]{43}$/);
    const attributes = cookie?.attributes.split(';').map((a) => a.trim()) ?? [];
    expect(attributes).toEqual(
      expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/', `Max-Age=${8 * 3600}`]),
    );
    expect(attributes).not.toContain('Secure');
    for (const header of signedIn.headers.values()) expect(header).not.toContain(server.adminToken);
    expect(signedIn.text).not.toContain(server.adminToken);
    const session = operatorSessionFor(
      server,
      cookie?.pair as string,
      await operatorCsrfOf(server, cookie?.pair as string),
    );
    for (const page of operatorPages.filter((p) => !p.path.includes(':'))) {
      const response = await session.page(page.path);
      expect(response.status, page.path).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.text, page.path).not.toContain(server.adminToken);
      expect(response.text).toContain(`<meta name="csrf-token" content="${session.csrf}">`);
      expect(response.text).toContain('<form method="post" action="/admin/sign-out">');
    }
    // Only the hash keyed by the admin token is stored.
    const rows = await operatorRows();
    expect(rows.some((r) => r.id_hash === hashSecret(idOf(session.cookie)))).toBe(false);
    expect(JSON.stringify(rows)).not.toContain(idOf(session.cookie));
  });

  it('goes back only to operator pages after signing in', async () => {
    for (const [next, to] of [
      ['/admin/accounts?q=x', '/admin/accounts?q=x'],
      ['/dashboard', '/admin'],
      ['//evil.example/admin', '/admin'],
      ['https://evil.example/admin', '/admin'],
      ['/administrator', '/admin'],
    ]) {
      const signedIn = await postForm(server, '/admin/sign-in', {
        token: server.adminToken,
        next: next as string,
      });
      expect(signedIn.headers.get('location'), next).toBe(to);
    }
    const form = await server.request('GET', '/admin/sign-in?next=%2Fadmin%2Foutbox');
    expect(form.text).toContain('<input type="hidden" name="next" value="/admin/outbox">');
    expect(form.text).toContain('type="password"');
  });

  it('a sign-in form posted from another site is refused', async () => {
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }] as Record<
      string,
      string
    >[]) {
      const refused = await postForm(server, '/admin/sign-in', { token: server.adminToken }, headers);
      expect(refused.status).toBe(403);
      expect(operatorCookieOf(refused)).toBeUndefined();
    }
  });

  it('is rate limited per IP, right token or wrong: 429 with Retry-After, no session', async () => {
    const limited = await startTestServer({
      LIGHTBOX_ADMIN_SIGN_IN_PER_IP_PER_HOUR: '3',
      LIGHTBOX_TRUSTED_PROXIES: '127.0.0.1',
    });
    try {
      const attempt = (token: string, ip: string, accept = BROWSER_ACCEPT) =>
        limited.request('POST', '/admin/sign-in', {
          body: new URLSearchParams({ token }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, accept },
        });
      expect((await attempt('guess-1', '203.0.113.5')).status).toBe(401);
      expect((await attempt('guess-2', '203.0.113.5')).status).toBe(401);
      expect((await attempt(limited.adminToken, '203.0.113.5')).status).toBe(303);
      const refused = await attempt(limited.adminToken, '203.0.113.5');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.text).toContain('Too many requests');
      expect(operatorCookieOf(refused)).toBeUndefined();
      const json = await attempt('guess-3', '203.0.113.5', 'application/json');
      expect(json.status).toBe(429);
      expect(json.body.error.code).toBe('rate_limit_exceeded');
      // Another address has its own allowance.
      expect((await attempt(limited.adminToken, '203.0.113.6')).status).toBe(303);
      expect(await limited.services.metrics.scrape()).toMatch(
        /lightbox_rate_limit_refusals_total\{limit="operator_sign_in_per_ip"\} 2/,
      );
    } finally {
      await limited.close();
    }
  });

  it('is Secure and __Host- prefixed when the public URL is HTTPS', async () => {
    const secure = await startTestServer({ LIGHTBOX_PUBLIC_URL: 'https://lightbox.example.test' });
    try {
      const signedIn = await postForm(secure, '/admin/sign-in', { token: secure.adminToken });
      const cookie = operatorCookieOf(signedIn);
      expect(cookie?.pair).toMatch(/^__Host-lightbox_operator=lbsess_/);
      expect(cookie?.attributes.split(';').map((a) => a.trim())).toEqual(
        expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']),
      );
      const page = await secure.request('GET', '/admin', { headers: { cookie: cookie?.pair ?? '' } });
      expect(page.status).toBe(200);
    } finally {
      await secure.close();
    }
  });
});

describe('operator sessions', () => {
  it('rotate at every sign-in: the browser’s old session ends, a planted id is never adopted', async () => {
    const first = await operatorSignIn(server);
    const second = await operatorSignIn(server, first.cookie);
    expect(second.cookie).not.toBe(first.cookie);
    expect(second.csrf).not.toBe(first.csrf);
    expect(await adminWith(first.cookie)).toBe(302);
    expect(await adminWith(second.cookie)).toBe(200);
    const planted = `lightbox_operator=lbsess_${'P'.repeat(43)}`;
    expect(await adminWith(planted)).toBe(302);
    const third = await operatorSignIn(server, planted);
    expect(third.cookie).not.toBe(planted);
    expect(await adminWith(planted)).toBe(302);
  });

  it('end after the idle time, and at their absolute expiry however busy', async () => {
    const idle = await operatorSignIn(server);
    const busy = await operatorSignIn(server);
    const rowOf = (session: OperatorSession) => hashOperatorSecret(server.adminToken, idOf(session.cookie));
    const now = Date.now();
    // Idle: last seen 31 minutes ago (idle limit 30). Busy but old: seen just now, past its absolute expiry.
    await server.services.store.db
      .updateTable('web_sessions')
      .set({ last_seen_at: now - 31 * MINUTE_MS })
      .where('id_hash', '=', rowOf(idle))
      .execute();
    await server.services.store.db
      .updateTable('web_sessions')
      .set({ expires_at: now - 1, created_at: now - 8 * 60 * MINUTE_MS })
      .where('id_hash', '=', rowOf(busy))
      .execute();
    expect(await adminWith(idle.cookie)).toBe(302);
    expect(await adminWith(busy.cookie)).toBe(302);
    const ids = (await operatorRows()).map((r) => r.id_hash);
    expect(ids).not.toContain(rowOf(idle));
    expect(ids).not.toContain(rowOf(busy));
    const refused = await busy.form('/admin/sign-out');
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('href="/admin/sign-in"');
  });

  it('a request within the idle time keeps the session going', async () => {
    const session = await operatorSignIn(server);
    const idHash = hashOperatorSecret(server.adminToken, idOf(session.cookie));
    const twentyMinutesAgo = Date.now() - 20 * MINUTE_MS;
    await server.services.store.db
      .updateTable('web_sessions')
      .set({ last_seen_at: twentyMinutesAgo })
      .where('id_hash', '=', idHash)
      .execute();
    expect(await adminWith(session.cookie)).toBe(200);
    const row = (await operatorRows()).find((r) => r.id_hash === idHash);
    expect(Number(row?.last_seen_at)).toBeGreaterThan(twentyMinutesAgo + 19 * MINUTE_MS);
  });

  it('sign-out ends this session; sign-out everywhere ends every operator session and no owner’s', async () => {
    const laptop = await operatorSignIn(server);
    const phone = await operatorSignIn(server);
    const owner = await signIn(server, (await createAccount(server, { verified: true })).email);

    const out = await laptop.form('/admin/sign-out');
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/admin/sign-in?signed_out=1');
    expect(operatorCookieOf(out)?.attributes).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(await adminWith(laptop.cookie)).toBe(302);
    expect(await adminWith(phone.cookie)).toBe(200);

    const everywhere = await phone.form('/admin/sign-out/everywhere');
    expect(everywhere.status).toBe(303);
    expect(await adminWith(phone.cookie)).toBe(302);
    expect(await operatorRows()).toHaveLength(0);
    expect((await owner.request('GET', '/dashboard/api/keys')).status).toBe(200);
    const page = await server.request('GET', '/admin/sign-in?signed_out=all');
    expect(page.text).toContain('Every operator session is ended, on every device.');
  });
});

describe('CSRF on every operator form', () => {
  /**
   * A valid post for every operator form of the registry, keyed by its path. A new operator form without a sample
   * fails the walk, so none can be added unchecked.
   */
  type Ids = { accountId: string; keyId: string; eventId: string };
  const SAMPLES: Record<string, (ids: Ids) => { path: string; fields: Record<string, string> }> = {
    '/admin/sign-out': () => ({ path: '/admin/sign-out', fields: {} }),
    '/admin/sign-out/everywhere': () => ({ path: '/admin/sign-out/everywhere', fields: {} }),
    '/admin/accounts': () => ({ path: '/admin/accounts', fields: { email: uniqueEmail(), plan: 'free' } }),
    '/admin/accounts/:id/update': ({ accountId }) => ({
      path: `/admin/accounts/${accountId}/update`,
      fields: { suspended: '1' },
    }),
    '/admin/accounts/:id/credits': ({ accountId }) => ({
      path: `/admin/accounts/${accountId}/credits`,
      fields: { amount: '5', kind: 'promotional', note: 'walk' },
    }),
    '/admin/accounts/:id/keys': ({ accountId }) => ({
      path: `/admin/accounts/${accountId}/keys`,
      fields: { environment: 'test', name: 'walk' },
    }),
    '/admin/accounts/:id/keys/:key_id/status': ({ accountId, keyId }) => ({
      path: `/admin/accounts/${accountId}/keys/${keyId}/status`,
      fields: { status: 'inactive' },
    }),
    '/admin/accounts/:id/keys/:key_id/delete': ({ accountId, keyId }) => ({
      path: `/admin/accounts/${accountId}/keys/${keyId}/delete`,
      fields: {},
    }),
    '/admin/accounts/:id/sign-out': ({ accountId }) => ({
      path: `/admin/accounts/${accountId}/sign-out`,
      fields: {},
    }),
    '/admin/webhooks/:id/redeliver': ({ eventId }) => ({
      path: `/admin/webhooks/${eventId}/redeliver`,
      fields: {},
    }),
  };

  /** Everything an operator form could change. */
  async function snapshot(ids: Ids) {
    const { db } = server.services.store;
    return {
      accounts: Number(
        (
          await db
            .selectFrom('accounts')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
      account: await db.selectFrom('accounts').selectAll().where('id', '=', ids.accountId).executeTakeFirst(),
      keys: await db
        .selectFrom('api_keys')
        .selectAll()
        .where('account_id', '=', ids.accountId)
        .orderBy('id')
        .execute(),
      ledger: await db
        .selectFrom('ledger_entries')
        .selectAll()
        .where('account_id', '=', ids.accountId)
        .orderBy('id')
        .execute(),
      sessions: (
        await db.selectFrom('web_sessions').select(['id_hash', 'kind']).orderBy('id_hash').execute()
      ).map((r) => `${r.kind}:${r.id_hash}`),
      event: await db
        .selectFrom('webhook_events')
        .selectAll()
        .where('id', '=', ids.eventId)
        .executeTakeFirst(),
    };
  }

  it('the registry has operator forms, and every one has a sample here', () => {
    expect(operatorForms.length).toBeGreaterThanOrEqual(10);
    for (const form of operatorForms) expect(SAMPLES[form.path], form.path).toBeDefined();
  });

  it('without the token, with another session’s or an owner’s, tampered, or from another site: 403, nothing changes', async () => {
    const { account, eventId } = await failedEvent();
    for (const form of operatorForms) {
      const me = await operatorSignIn(server);
      const other = await operatorSignIn(server);
      const owner = await signIn(server, account.email);
      const keyId = (await mintKey(server, account.id, { environment: 'test' })).key_id;
      const ids = { accountId: account.id, keyId, eventId };
      const sample = (SAMPLES[form.path] as (ids: Ids) => { path: string; fields: Record<string, string> })(
        ids,
      );
      const before = await snapshot(ids);
      const attempts: { label: string; csrf: string | false; headers?: Record<string, string> }[] = [
        { label: 'no token', csrf: false },
        { label: 'empty token', csrf: '' },
        { label: "another operator session's token", csrf: other.csrf },
        { label: "the owner session's token", csrf: owner.csrf },
        { label: 'tampered token', csrf: `${me.csrf.slice(0, -2)}xx` },
        { label: 'cross-site', csrf: me.csrf, headers: { 'sec-fetch-site': 'cross-site' } },
        { label: 'foreign origin', csrf: me.csrf, headers: { origin: 'https://evil.example' } },
      ];
      for (const attempt of attempts) {
        const fields = attempt.csrf === false ? sample.fields : { csrf: attempt.csrf, ...sample.fields };
        const response = await postForm(server, sample.path, fields, {
          cookie: me.cookie,
          ...attempt.headers,
        });
        expect(response.status, `${form.path}: ${attempt.label}`).toBe(403);
        expect(response.text).toContain('csrf_token_invalid');
        expect(response.text).toContain(
          '<a class="button primary" href="/admin">Back to the operator pages</a>',
        );
      }
      expect(await snapshot(ids), `${form.path} changed something`).toEqual(before);
      // The same post with the session's own token does what it says.
      const ok = await me.form(sample.path, sample.fields);
      expect([200, 303], `${form.path}: ${ok.text.slice(0, 300)}`).toContain(ok.status);
      expect(await snapshot(ids), `${form.path} changed nothing`).not.toEqual(before);
    }
  });

  it('every operator form answers 401 without an operator session, and changes nothing', async () => {
    const { account, eventId } = await failedEvent();
    const keyId = (await mintKey(server, account.id, { environment: 'test' })).key_id;
    const ids = { accountId: account.id, keyId, eventId };
    const owner = await signIn(server, account.email);
    const before = await snapshot(ids);
    for (const form of operatorForms) {
      const sample = (SAMPLES[form.path] as (ids: Ids) => { path: string; fields: Record<string, string> })(
        ids,
      );
      for (const cookie of [undefined, owner.cookie, `lightbox_operator=${idOf(owner.cookie)}`]) {
        const response = await postForm(
          server,
          sample.path,
          { csrf: owner.csrf, ...sample.fields },
          cookie ? { cookie } : {},
        );
        expect(response.status, `${form.path} with ${cookie ?? 'no cookie'}`).toBe(401);
        expect(response.text).toContain('href="/admin/sign-in"');
      }
    }
    expect(await snapshot(ids)).toEqual(before);
  });
});

describe('owners and operators are kept apart', () => {
  it('an owner session opens no operator page, in either cookie', async () => {
    const owner = await signIn(server, (await createAccount(server, { verified: true })).email);
    for (const page of operatorPages) {
      const path = page.path.replace(':id', 'acc_x');
      for (const cookie of [owner.cookie, `lightbox_operator=${idOf(owner.cookie)}`]) {
        const response = await server.request('GET', path, { headers: { cookie, accept: BROWSER_ACCEPT } });
        expect(response.status, `${path} with ${cookie.split('=')[0]}`).toBe(302);
        expect(response.headers.get('location')).toMatch(/^\/admin\/sign-in\?next=/);
      }
    }
  });

  it('an operator session opens no owner page or dashboard endpoint, and is no key to /admin/v1', async () => {
    const operator = await operatorSignIn(server);
    const asOwnerCookie = `lightbox_session=${idOf(operator.cookie)}`;
    for (const page of PAGES.filter((p) => p.access === 'owner')) {
      for (const cookie of [operator.cookie, asOwnerCookie]) {
        const response = await server.request('GET', page.path, {
          headers: { cookie, accept: BROWSER_ACCEPT },
        });
        expect(response.status, page.path).toBe(302);
        expect(response.headers.get('location')).toMatch(/^\/sign-in\?next=/);
      }
    }
    for (const cookie of [operator.cookie, asOwnerCookie]) {
      const api = await server.request('GET', '/dashboard/api/keys', {
        headers: { cookie, accept: 'application/json' },
      });
      expect(api.status).toBe(401);
      expect(api.body.error.code).toBe('sign_in_required');
      const signOut = await postForm(server, '/sign-out', { csrf: operator.csrf }, { cookie });
      expect(signOut.status).toBe(401);
    }
    const adminApi = await server.request('GET', '/admin/v1/accounts', {
      headers: { cookie: operator.cookie },
    });
    expect(adminApi.status).toBe(401);
    expect(adminApi.body.error.code).toBe('missing_api_key');
    expect(await adminWith(operator.cookie)).toBe(200);
  });
});
