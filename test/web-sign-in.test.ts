// Dashboard sign-in and sessions over real HTTP (docs/web.md): one-time mailed links, scanner-safe opening,
// rate limits, session rotation, idle and absolute expiry, sign-out (here and everywhere), cookie flags.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/sessions/secrets.ts';
import { createAccount, getAccount, outbox, pathOf, uniqueEmail } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import {
  BROWSER_ACCEPT,
  csrfOf,
  newestSignInLink,
  postForm,
  sessionCookieOf,
  signIn,
  tokenOf,
} from './support/web-session.ts';

const MINUTE_MS = 60_000;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    LIGHTBOX_SIGN_IN_PER_EMAIL_PER_HOUR: '1000',
    LIGHTBOX_SIGN_IN_PER_IP_PER_HOUR: '100000',
    LIGHTBOX_SESSION_IDLE_MINUTES: '30',
    LIGHTBOX_SESSION_MAX_HOURS: '8',
  });
});
afterAll(async () => {
  await server?.close();
});

/** Whether a cookie opens the dashboard (200) or is sent to sign in (302 to /sign-in). */
async function dashboardWith(cookie: string): Promise<number> {
  const page = await server.request('GET', '/dashboard', { headers: { cookie, accept: BROWSER_ACCEPT } });
  if (page.status === 302) expect(page.headers.get('location')).toBe('/sign-in?next=%2Fdashboard');
  return page.status;
}

const sessionRows = async (accountId: string) =>
  server.services.store.db
    .selectFrom('web_sessions')
    .selectAll()
    .where('account_id', '=', accountId)
    .execute();

async function askForLink(email: string, extra: Record<string, string> = {}): Promise<string> {
  const asked = await postForm(server, '/sign-in', { email, ...extra });
  expect(asked.status, asked.text).toBe(200);
  expect(asked.text).toContain('Check your inbox');
  const link = await newestSignInLink(server, email);
  expect(link).toBeDefined();
  return link as string;
}

describe('sign-in by mailed link', () => {
  it('mails a link that works once, for 15 minutes; opening it (as a mail scanner would) spends nothing', async () => {
    const account = await createAccount(server, { verified: true });
    const link = await askForLink(account.email);
    expect(pathOf(link)).toMatch(/^\/sign-in\/continue\?token=lbsign_[A-Za-z0-9_-]{43}$/);
    const row = await server.services.store.db
      .selectFrom('web_sign_in_tokens')
      .selectAll()
      .where('account_id', '=', account.id)
      .executeTakeFirstOrThrow();
    // Only the hash is stored, and the link lives 15 minutes.
    expect(row.token_hash).toBe(hashSecret(tokenOf(link)));
    expect(Number(row.expires_at) - Number(row.created_at)).toBe(15 * MINUTE_MS);

    // A scanner (or the person, twice) opens it: a page with a Continue button, nothing spent, no cookie.
    for (let i = 0; i < 3; i++) {
      const opened = await server.request('GET', pathOf(link), { headers: { accept: BROWSER_ACCEPT } });
      expect(opened.status).toBe(200);
      expect(opened.text).toMatch(/<form method="post" action="\/sign-in\/continue">/);
      expect(opened.text).toContain('<button type="submit" class="primary">Continue</button>');
      expect(opened.headers.get('referrer-policy')).toBe('no-referrer');
      expect(opened.headers.get('cache-control')).toBe('no-store');
      expect(sessionCookieOf(opened)).toBeUndefined();
    }
    // A HEAD (link previews) does not spend it either.
    expect((await server.request('HEAD', pathOf(link))).status).toBe(200);

    const spent = await postForm(server, '/sign-in/continue', { token: tokenOf(link) });
    expect(spent.status).toBe(303);
    expect(spent.headers.get('location')).toBe('/dashboard');
    const cookie = sessionCookieOf(spent)?.pair as string;
    expect(cookie).toMatch(/^lightbox_session=lbsess_[A-Za-z0-9_-]{43}$/);
    expect(await dashboardWith(cookie)).toBe(200);

    // Single use: the second POST, and the page afterwards, say the link is spent; no second session.
    const again = await postForm(server, '/sign-in/continue', { token: tokenOf(link) });
    expect(again.status).toBe(400);
    expect(again.text).toContain('Sign-in link invalid or expired');
    expect(sessionCookieOf(again)).toBeUndefined();
    expect((await server.request('GET', pathOf(link))).status).toBe(400);
    expect(await sessionRows(account.id)).toHaveLength(1);
  });

  it('an expired link is refused and changes nothing', async () => {
    const account = await createAccount(server, { verified: false });
    const link = await askForLink(account.email);
    await server.services.store.db
      .updateTable('web_sign_in_tokens')
      .set({ expires_at: Date.now() - 1 })
      .where('token_hash', '=', hashSecret(tokenOf(link)))
      .execute();
    expect((await server.request('GET', pathOf(link))).status).toBe(400);
    const spent = await postForm(server, '/sign-in/continue', { token: tokenOf(link) });
    expect(spent.status).toBe(400);
    expect(sessionCookieOf(spent)).toBeUndefined();
    expect(await sessionRows(account.id)).toHaveLength(0);
    expect((await getAccount(server, account.id)).email_verified).toBe(false);
  });

  it('made-up, malformed and missing tokens are refused', async () => {
    for (const token of ['', 'x', `lbsign_${'A'.repeat(43)}`, `lbsess_${'A'.repeat(43)}`, 'a'.repeat(2000)]) {
      const spent = await postForm(server, '/sign-in/continue', { token });
      expect(spent.status, token.slice(0, 20)).toBe(400);
      expect(sessionCookieOf(spent)).toBeUndefined();
    }
    expect((await postForm(server, '/sign-in/continue', {})).status).toBe(400);
  });

  it('signing in proves the mailbox: an unverified account becomes verified', async () => {
    const account = await createAccount(server, { verified: false });
    await signIn(server, account.email);
    expect((await getAccount(server, account.id)).email_verified).toBe(true);
  });

  it('an unknown address gets the same answer and no mail; a malformed one the form again with the error', async () => {
    const email = uniqueEmail();
    const asked = await postForm(server, '/sign-in', { email });
    expect(asked.status).toBe(200);
    expect(asked.text).toContain('Check your inbox');
    expect(await outbox(server, email)).toEqual([]);

    const bad = await postForm(server, '/sign-in', { email: 'not an address' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('aria-invalid="true"');
    expect(bad.text).toContain('value="not an address"');
  });

  it('returns to the page that asked for sign-in, and never to another site', async () => {
    const account = await createAccount(server, { verified: true });
    const gate = await server.request('GET', '/keys', { headers: { accept: BROWSER_ACCEPT } });
    expect(gate.status).toBe(302);
    expect(gate.headers.get('location')).toBe('/sign-in?next=%2Fkeys');
    const form = await server.request('GET', '/sign-in?next=%2Fkeys');
    expect(form.text).toContain('<input type="hidden" name="next" value="/keys">');

    const link = await askForLink(account.email, { next: '/keys' });
    const spent = await postForm(server, '/sign-in/continue', { token: tokenOf(link) });
    expect(spent.headers.get('location')).toBe('/keys');

    for (const next of [
      '//evil.example/x',
      '/\\evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
    ]) {
      const other = await askForLink(account.email, { next });
      const to = await postForm(server, '/sign-in/continue', { token: tokenOf(other) });
      expect(to.headers.get('location'), next).toBe('/dashboard');
    }
  });

  it('a form posted from another site is refused and sends no mail', async () => {
    const account = await createAccount(server, { verified: true });
    const before = (await outbox(server, account.email)).length;
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }] as Record<
      string,
      string
    >[]) {
      const refused = await postForm(server, '/sign-in', { email: account.email }, headers);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    }
    expect(await outbox(server, account.email)).toHaveLength(before);
    // Same-origin browsers pass (Origin may be "null" under no-referrer, so Sec-Fetch-Site decides).
    const ok = await postForm(
      server,
      '/sign-in',
      { email: account.email },
      { 'sec-fetch-site': 'same-origin', origin: 'null' },
    );
    expect(ok.status).toBe(200);
  });
});

describe('sign-in rate limits', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({
      LIGHTBOX_SIGN_IN_PER_EMAIL_PER_HOUR: '2',
      LIGHTBOX_SIGN_IN_PER_IP_PER_HOUR: '3',
      LIGHTBOX_TRUSTED_PROXIES: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await limited?.close();
  });

  const ask = (email: string, ip: string) =>
    postForm(limited, '/sign-in', { email }, { 'x-forwarded-for': ip });

  it('per email: the third request within the hour gets a 429 page with Retry-After and no mail', async () => {
    const account = await createAccount(limited, { verified: true });
    expect((await ask(account.email, '203.0.113.1')).status).toBe(200);
    expect((await ask(account.email, '203.0.113.2')).status).toBe(200);
    const refused = await ask(account.email, '203.0.113.3');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.text).toContain('Too many requests');
    expect(
      (await outbox(limited, account.email)).filter((m) => m.subject === 'Sign in to Lightbox'),
    ).toHaveLength(2);
    // Another address is not affected.
    expect((await ask(uniqueEmail(), '203.0.113.4')).status).toBe(200);
  });

  it('per IP: any request counts, valid or not, whatever the address', async () => {
    const ip = '198.51.100.7';
    expect((await ask(uniqueEmail(), ip)).status).toBe(200);
    expect((await ask('not an address', ip)).status).toBe(422);
    expect((await ask(uniqueEmail(), ip)).status).toBe(200);
    const account = await createAccount(limited, { verified: true });
    const refused = await ask(account.email, ip);
    expect(refused.status).toBe(429);
    expect(await outbox(limited, account.email)).toEqual([]);
    // An API client (no HTML in Accept) gets the JSON envelope instead of the page.
    const json = await limited.request('POST', '/sign-in', {
      body: new URLSearchParams({ email: account.email }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
    });
    expect(json.status).toBe(429);
    expect(json.body).toMatchObject({ error: 'rate_limited' });
  });
});

describe('sessions', () => {
  it('are stored as hashes only, and rotate at every sign-in: the old id stops working', async () => {
    const account = await createAccount(server, { verified: true });
    const first = await signIn(server, account.email);
    const id = first.cookie.split('=')[1] as string;
    const rows = await sessionRows(account.id);
    expect(rows.map((r) => r.id_hash)).toEqual([hashSecret(id)]);
    expect(JSON.stringify(rows)).not.toContain(id);

    // Signing in again in the same browser (its cookie sent along) replaces the session.
    const second = await signIn(server, account.email, first.cookie);
    expect(second.cookie).not.toBe(first.cookie);
    expect(second.csrf).not.toBe(first.csrf);
    expect(await dashboardWith(first.cookie)).toBe(302);
    expect(await dashboardWith(second.cookie)).toBe(200);
    expect(await sessionRows(account.id)).toHaveLength(1);
  });

  it('a planted session id (fixation) is never adopted', async () => {
    const account = await createAccount(server, { verified: true });
    const planted = `lightbox_session=lbsess_${'P'.repeat(43)}`;
    expect(await dashboardWith(planted)).toBe(302);
    const session = await signIn(server, account.email, planted);
    expect(session.cookie).not.toBe(planted);
    expect(await dashboardWith(planted)).toBe(302);
  });

  it('end after the idle time without requests, and at their absolute expiry however busy', async () => {
    const account = await createAccount(server, { verified: true });
    const idle = await signIn(server, account.email);
    const busy = await signIn(server, account.email);
    const now = Date.now();
    // Idle: last seen 31 minutes ago (idle limit 30).
    await server.services.store.db
      .updateTable('web_sessions')
      .set({ last_seen_at: now - 31 * MINUTE_MS })
      .where('id_hash', '=', hashSecret(idle.cookie.split('=')[1] as string))
      .execute();
    // Busy but old: seen just now, created 8 hours ago (absolute limit 8 h).
    await server.services.store.db
      .updateTable('web_sessions')
      .set({ expires_at: now - 1, created_at: now - 8 * 60 * MINUTE_MS })
      .where('id_hash', '=', hashSecret(busy.cookie.split('=')[1] as string))
      .execute();
    expect(await dashboardWith(idle.cookie)).toBe(302);
    expect(await dashboardWith(busy.cookie)).toBe(302);
    expect(await sessionRows(account.id)).toHaveLength(0);
    const api = await server.request('GET', '/dashboard/api/keys', { headers: { cookie: busy.cookie } });
    expect(api.status).toBe(401);
    expect(api.body.error.code).toBe('sign_in_required');
  });

  it('a request within the idle time keeps the session going (last seen moves, at most once a minute)', async () => {
    const account = await createAccount(server, { verified: true });
    const session = await signIn(server, account.email);
    const idHash = hashSecret(session.cookie.split('=')[1] as string);
    const twentyMinutesAgo = Date.now() - 20 * MINUTE_MS;
    await server.services.store.db
      .updateTable('web_sessions')
      .set({ last_seen_at: twentyMinutesAgo })
      .where('id_hash', '=', idHash)
      .execute();
    expect(await dashboardWith(session.cookie)).toBe(200);
    const [row] = await sessionRows(account.id);
    expect(Number(row?.last_seen_at)).toBeGreaterThan(twentyMinutesAgo + 19 * MINUTE_MS);
  });

  it('sign-out ends this session only; sign-out everywhere ends all of them', async () => {
    const account = await createAccount(server, { verified: true });
    const laptop = await signIn(server, account.email);
    const phone = await signIn(server, account.email);
    const tablet = await signIn(server, account.email);

    const out = await postForm(server, '/sign-out', { csrf: laptop.csrf }, { cookie: laptop.cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/sign-in?signed_out=1');
    expect(sessionCookieOf(out)?.attributes).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(await dashboardWith(laptop.cookie)).toBe(302);
    expect(await dashboardWith(phone.cookie)).toBe(200);

    const everywhere = await postForm(
      server,
      '/sign-out/everywhere',
      { csrf: phone.csrf },
      { cookie: phone.cookie },
    );
    expect(everywhere.status).toBe(303);
    expect(await dashboardWith(phone.cookie)).toBe(302);
    expect(await dashboardWith(tablet.cookie)).toBe(302);
    expect(await sessionRows(account.id)).toHaveLength(0);
    const page = await server.request('GET', '/sign-in?signed_out=all');
    expect(page.text).toContain('You are signed out on every device and browser.');
  });

  it('sign-out forms need the session’s CSRF token: without it, or with another session’s, nothing ends', async () => {
    const account = await createAccount(server, { verified: true });
    const mine = await signIn(server, account.email);
    const other = await signIn(server, (await createAccount(server, { verified: true })).email);
    for (const path of ['/sign-out', '/sign-out/everywhere']) {
      for (const fields of [{}, { csrf: '' }, { csrf: other.csrf }, { csrf: `${mine.csrf}x` }] as Record<
        string,
        string
      >[]) {
        const refused = await postForm(server, path, fields, { cookie: mine.cookie });
        expect(refused.status, `${path} ${JSON.stringify(fields)}`).toBe(403);
        expect(refused.text).toContain('csrf_token_invalid');
      }
    }
    expect(await dashboardWith(mine.cookie)).toBe(200);
    expect(await dashboardWith(other.cookie)).toBe(200);
    // The token is the session's: the same page hands out the same token while the session lasts.
    expect(await csrfOf(server, mine.cookie)).toBe(mine.csrf);
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/, lives until the absolute expiry, and not Secure over plain HTTP', async () => {
    const account = await createAccount(server, { verified: true });
    const link = await askForLink(account.email);
    const spent = await postForm(server, '/sign-in/continue', { token: tokenOf(link) });
    const attributes =
      sessionCookieOf(spent)
        ?.attributes.split(';')
        .map((a) => a.trim()) ?? [];
    expect(attributes).toContain('HttpOnly');
    expect(attributes).toContain('SameSite=Lax');
    expect(attributes).toContain('Path=/');
    expect(attributes).toContain(`Max-Age=${8 * 3600}`);
    expect(attributes).not.toContain('Secure');
    expect(attributes.some((a) => a.startsWith('Domain'))).toBe(false);
  });

  it('is Secure and __Host- prefixed when the public URL is HTTPS', async () => {
    const secure = await startTestServer({ LIGHTBOX_PUBLIC_URL: 'https://lightbox.example.test' });
    try {
      const account = await createAccount(secure, { verified: true });
      await postForm(secure, '/sign-in', { email: account.email });
      const link = (await newestSignInLink(secure, account.email)) as string;
      expect(link.startsWith('https://lightbox.example.test/sign-in/continue?token=')).toBe(true);
      const spent = await postForm(secure, '/sign-in/continue', { token: tokenOf(link) });
      const cookie = sessionCookieOf(spent);
      expect(cookie?.pair).toMatch(/^__Host-lightbox_session=lbsess_/);
      const attributes = cookie?.attributes.split(';').map((a) => a.trim()) ?? [];
      expect(attributes).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Lax', 'Path=/']));
      const page = await secure.request('GET', '/dashboard', { headers: { cookie: cookie?.pair ?? '' } });
      expect(page.status).toBe(200);
    } finally {
      await secure.close();
    }
  });
});
