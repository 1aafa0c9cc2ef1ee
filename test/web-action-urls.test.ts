// Every URL the API hands a person — `action.url`, `upgrade.url`, the viewer `url`, mailed links — built through
// the real flows and opened as a browser would (following redirects): each must end on a 200 HTML page.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountWithKey,
  createAccount,
  mailedLink,
  mintKey,
  patchAccount,
  uniqueEmail,
} from './support/fixtures.ts';
import * as images from './support/images.ts';
import { upload, uploaded } from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { BROWSER_ACCEPT, newestSignInLink, postForm } from './support/web-session.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    // free: 1 upload a month; pro (the top plan): 2.
    LIGHTBOX_PLANS: 'free:1:1:Free,pro:2:10:Pro',
    LIGHTBOX_ANON_UPLOADS_PER_HOUR: '1',
    LIGHTBOX_KEYS_PER_IP_PER_HOUR: '100000',
    LIGHTBOX_UNVERIFIED_MAX_KEYS: '1',
  });
});
afterAll(async () => {
  await server?.close();
});

/** Every URL collected, with where it came from. */
const collected: { from: string; url: string }[] = [];
const collect = (from: string, url: unknown) => {
  expect(typeof url, from).toBe('string');
  collected.push({ from, url: url as string });
};

describe('the URLs the API hands out', () => {
  it('are collected from every flow that produces one', async () => {
    // registration_closed → redirect to the dashboard's key page.
    const closed = await createAccount(server, { verified: true });
    await patchAccount(server, closed.id, { registration_policy: 'closed' });
    const refused = await server.request('POST', '/v1/keys', { json: { email: closed.email } });
    expect(refused.body.error).toBe('registration_closed');
    collect('registration_closed action', refused.body.action.url);

    // key_limit_reached → verify (an unverified account at its key cap).
    const email = uniqueEmail();
    expect((await server.request('POST', '/v1/keys', { json: { email } })).status).toBe(201);
    const limit = await server.request('POST', '/v1/keys', { json: { email } });
    expect(limit.body.error).toBe('key_limit_reached');
    collect('key_limit_reached action', limit.body.action.url);
    // …and the mails that flow sent: the verification link.
    collect('verification mail', await mailedLink(server, email, 'verify'));

    // quota_exceeded: verify (unverified), upgrade (verified, a bigger plan exists), redirect (top plan).
    for (const [label, setup] of [
      ['quota_exceeded verify action', { verified: false, plan: 'free' }],
      ['quota_exceeded upgrade action', { verified: true, plan: 'free' }],
      ['quota_exceeded redirect action', { verified: true, plan: 'pro' }],
    ] as const) {
      const account = await createAccount(server, { verified: setup.verified, plan: setup.plan });
      const { key } = await mintKey(server, account.id, { environment: 'live' });
      const allowed = setup.plan === 'pro' ? 2 : 1;
      for (let i = 0; i < allowed; i++) await uploaded(server, await images.png(8 + i, 8), { key });
      const over = await upload(server, await images.png(20, 20), { key });
      expect(over.body.error, label).toBe('quota_exceeded');
      collect(label, over.body.action.url);
    }

    // Anonymous upload → upgrade hint; the viewer page of what was uploaded; then the 429 redirect.
    const anonymous = await upload(server, await images.png(12, 12));
    expect(anonymous.status).toBe(201);
    collect('anonymous upload upgrade', anonymous.body.upgrade.url);
    collect('media url (viewer)', anonymous.body.url);
    const limited = await upload(server, await images.png(13, 13));
    expect(limited.status).toBe(429);
    collect('anonymous 429 redirect action', limited.body.action.url);

    // Approval: a verified account's new key, and the link mailed to approve it.
    const approver = await createAccount(server, { verified: true });
    const pending = await server.request('POST', '/v1/keys', { json: { email: approver.email } });
    expect(pending.body.status).toBe('pending_approval');
    collect('approval mail', await mailedLink(server, approver.email, 'approve-key'));

    // Sign-in: the mailed one-time link.
    await postForm(server, '/sign-in', { email: approver.email });
    collect('sign-in mail', await newestSignInLink(server, approver.email));

    // Keyed upload's viewer page.
    const { key } = await accountWithKey(server);
    collect(
      'media url (keyed upload)',
      (await uploaded(server, await images.jpeg(40, 30), { key: key.key })).url,
    );

    expect(collected.length).toBeGreaterThanOrEqual(12);
  });

  it('each is on this server and ends, for a browser, on a 200 HTML page', async () => {
    expect(collected.length).toBeGreaterThan(0);
    for (const { from, url } of collected) {
      expect(new URL(url).origin, from).toBe(server.url);
      const response = await fetch(url, { headers: { accept: BROWSER_ACCEPT }, redirect: 'follow' });
      const text = await response.text();
      expect(response.status, `${from}: ${url} → ${response.url}`).toBe(200);
      expect(response.headers.get('content-type'), from).toBe('text/html; charset=utf-8');
      expect(text, from).toMatch(/^<!doctype html>/i);
      expect(response.headers.get('content-security-policy'), from).toMatch(/default-src 'none'/);
    }
    const kinds = new Set(collected.map((c) => new URL(c.url).pathname.split('/')[1]));
    expect([...kinds].sort()).toEqual(
      ['docs', 'i', 'keys', 'sign-in', 'upgrade', 'verify', 'approve-key'].sort(),
    );
  });
});
