// The owner dashboard's JSON endpoints over real HTTP (docs/web.md): session auth, CSRF on every write (walked
// from the route registry), no data of other accounts, the key lifecycle and its limits, and a key revoked here
// being refused by both API families.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookSecretOf } from '../src/accounts/api-key-format.ts';
import { DASHBOARD_API, DASHBOARD_API_PREFIX } from '../src/web/dashboard-api.ts';
import { FORMS } from '../src/web/pages/index.ts';
import { createAccount, getAccount, listKeys, mintKey, patchAccount } from './support/fixtures.ts';
import * as images from './support/images.ts';
import { uploaded, uploadForm } from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { postForm, signIn, type WebSession } from './support/web-session.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    LIGHTBOX_SIGN_IN_PER_EMAIL_PER_HOUR: '1000',
    LIGHTBOX_SIGN_IN_PER_IP_PER_HOUR: '100000',
    LIGHTBOX_DASHBOARD_KEY_CREATES_PER_HOUR: '1000',
    LIGHTBOX_DASHBOARD_KEY_CREATES_PER_DAY: '1000',
  });
});
afterAll(async () => {
  await server?.close();
});

async function owner(options: { verified?: boolean } = {}) {
  const account = await createAccount(server, { verified: options.verified ?? true });
  return { account, session: await signIn(server, account.email) };
}

/** Everything a dashboard write could change for an account: its row, keys, media, batches, webhook events. */
async function snapshot(accountId: string) {
  const { db } = server.services.store;
  return {
    account: await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst(),
    keys: await db
      .selectFrom('api_keys')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute(),
    sessions: (
      await db.selectFrom('web_sessions').select('id_hash').where('account_id', '=', accountId).execute()
    ).length,
    media: await db
      .selectFrom('media')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute(),
    uploads: await db.selectFrom('upload_counts').selectAll().where('account_id', '=', accountId).execute(),
    enhancements: await db
      .selectFrom('enhancements')
      .select(['id', 'status'])
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute(),
    events: await db
      .selectFrom('webhook_events')
      .select(['id', 'status', 'next_attempt_at'])
      .where('account_id', '=', accountId)
      .orderBy('id')
      .execute(),
  };
}

const works = async (key: string) => (await server.request('GET', '/v1/usage', { key })).status === 200;

/** What one account holds, for the walks: a test key, an image of the test library, a batch and its event. */
interface Holdings {
  keyId: string;
  key: string;
  mediaId: string;
  enhancementId: string;
  eventId: string;
}

/** A source no test may fetch: loopback is refused by the safe fetcher here, so the item fails, offline. */
const UNREACHABLE_SOURCE = 'http://127.0.0.1:9/photo.jpg';

async function holdings(accountId: string): Promise<Holdings> {
  const key = await mintKey(server, accountId, { environment: 'test' });
  const media = await uploaded(server, await images.jpeg(30, 20), { key: key.key });
  const batch = await server.request('POST', '/api/v1/product-image-enhancements', {
    key: key.key,
    headers: { 'idempotency-key': `walk-${randomUUID()}` },
    json: { images: [{ source_url: UNREACHABLE_SOURCE }] },
  });
  expect(batch.status, batch.text).toBe(201);
  const enhancementId = batch.body.enhancement.id as string;
  // Settled before the walks take their snapshots: the worker changes nothing of it afterwards.
  await settled(accountId);
  // A webhook event of that batch, as the sink records one (no webhook URL can be reached from the tests).
  const eventId = `evt_walk${randomUUID().replaceAll('-', '')}`;
  await server.services.store.db
    .insertInto('webhook_events')
    .values({
      id: eventId,
      account_id: accountId,
      enhancement_id: enhancementId,
      type: 'enhancement.completed',
      endpoint_url: 'https://127.0.0.1:9/hooks',
      payload: '{}',
      signing_key_hash: '0'.repeat(64),
      status: 'failed',
      attempts: 1,
      next_attempt_at: null,
      sending_until: null,
      delivered_at: null,
      created_at: Date.now(),
    })
    .execute();
  return { keyId: key.key_id, key: key.key, mediaId: media.id, enhancementId, eventId };
}

/** Waits until no batch of the account is queued or running. */
async function settled(accountId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const running = await server.services.store.db
      .selectFrom('enhancements')
      .select('id')
      .where('account_id', '=', accountId)
      .where('status', 'in', ['queued', 'processing'])
      .execute();
    if (running.length === 0) return;
    if (Date.now() > deadline) throw new Error(`batches of ${accountId} still running`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Sample {
  path: string;
  json?: unknown;
  body?: FormData;
}

/**
 * A valid request for every write route of the registry, keyed `METHOD path`. A new write route without a sample
 * fails the walk below, so it cannot be added without being covered.
 */
const WRITE_SAMPLES: Record<string, (h: Holdings) => Sample | Promise<Sample>> = {
  'PATCH /account': () => ({ path: '/account', json: { registration_policy: 'closed' } }),
  'POST /keys': () => ({ path: '/keys', json: { name: 'walk', environment: 'test' } }),
  'POST /keys/:id/:action': (h) => ({ path: `/keys/${h.keyId}/deactivate` }),
  'DELETE /keys/:id': (h) => ({ path: `/keys/${h.keyId}` }),
  'POST /media': async () => ({
    path: '/media?environment=test',
    body: uploadForm(await images.jpeg(12, 12), { filename: 'walk.jpg' }),
  }),
  'PATCH /media/:id': (h) => ({ path: `/media/${h.mediaId}`, json: { name: 'walked' } }),
  'DELETE /media/:id': (h) => ({ path: `/media/${h.mediaId}` }),
  'POST /media/bulk-delete': (h) => ({
    path: '/media/bulk-delete',
    json: { environment: 'test', ids: [h.mediaId] },
  }),
  'POST /media/bulk-update': (h) => ({
    path: '/media/bulk-update',
    json: { environment: 'test', ids: [h.mediaId], change: { public: false } },
  }),
  'POST /enhancements': (h) => ({
    path: '/enhancements',
    json: { key_id: h.keyId, urls: [UNREACHABLE_SOURCE], idempotency_key: `walk-${randomUUID()}` },
  }),
  'POST /webhook-events/:id/redeliver': (h) => ({ path: `/webhook-events/${h.eventId}/redeliver` }),
};

/** A request that carries a sample (a multipart body as is, JSON otherwise). */
const withSample = (sample: Sample) =>
  sample.body !== undefined ? { body: sample.body } : sample.json !== undefined ? { json: sample.json } : {};

describe('CSRF on every dashboard write', () => {
  const writes = DASHBOARD_API.filter((r) => r.method !== 'GET');

  it('the registry has write routes, and every one has a sample here', () => {
    expect(writes.length).toBeGreaterThanOrEqual(11);
    for (const r of writes)
      expect(WRITE_SAMPLES[`${r.method} ${r.path}`], `${r.method} ${r.path}`).toBeDefined();
  });

  it('without the token, with another session’s, a tampered one, or from another site: 403, nothing changes', async () => {
    const me = await owner();
    const other = await owner();
    for (const r of writes) {
      const held = await holdings(me.account.id);
      const sampleOf = WRITE_SAMPLES[`${r.method} ${r.path}`] as (h: Holdings) => Sample | Promise<Sample>;
      const before = await snapshot(me.account.id);
      const attempts: { label: string; csrf: string | false; headers?: Record<string, string> }[] = [
        { label: 'no token', csrf: false },
        { label: 'empty token', csrf: '' },
        { label: "another session's token", csrf: other.session.csrf },
        { label: 'tampered token', csrf: `${me.session.csrf.slice(0, -2)}xx` },
        { label: 'cross-site', csrf: me.session.csrf, headers: { 'sec-fetch-site': 'cross-site' } },
        { label: 'foreign origin', csrf: me.session.csrf, headers: { origin: 'https://evil.example' } },
      ];
      for (const attempt of attempts) {
        const sample = await sampleOf(held);
        const response = await me.session.request(r.method, `${DASHBOARD_API_PREFIX}${sample.path}`, {
          csrf: attempt.csrf,
          ...withSample(sample),
          ...(attempt.headers ? { headers: attempt.headers } : {}),
        });
        expect(response.status, `${r.method} ${r.path}: ${attempt.label}`).toBe(403);
        expect(response.body.error.code).toBe('csrf_token_invalid');
      }
      expect(await snapshot(me.account.id), `${r.method} ${r.path} changed something`).toEqual(before);
      // The same request with the session's own token does what it says.
      const sample = await sampleOf(held);
      const ok = await me.session.request(
        r.method,
        `${DASHBOARD_API_PREFIX}${sample.path}`,
        withSample(sample),
      );
      expect(ok.status, `${r.method} ${r.path}: ${ok.text}`).toBeLessThan(300);
      expect(await snapshot(me.account.id), `${r.method} ${r.path} changed nothing`).not.toEqual(before);
    }
  });

  it('owner forms (sign-out, sign-out everywhere) refuse a missing or wrong csrf field the same way', async () => {
    const ownerForms = FORMS.filter((f) => f.access === 'owner');
    expect(ownerForms.map((f) => f.path).sort()).toEqual(['/sign-out', '/sign-out/everywhere']);
    const me = await owner();
    const other = await owner();
    for (const form of ownerForms) {
      const before = await snapshot(me.account.id);
      for (const fields of [{}, { csrf: other.session.csrf }] as Record<string, string>[]) {
        const refused = await postForm(server, form.path, fields, { cookie: me.session.cookie });
        expect(refused.status, form.path).toBe(403);
      }
      expect(await snapshot(me.account.id)).toEqual(before);
    }
  });

  it('every endpoint, reads included, answers 401 sign_in_required without a session', async () => {
    for (const r of DASHBOARD_API) {
      const path = `${DASHBOARD_API_PREFIX}${r.path.replace(':id', 'key_x').replace(':action', 'revoke')}`;
      for (const cookie of [undefined, `lightbox_session=lbsess_${'Q'.repeat(43)}`]) {
        const response = await server.request(r.method, path, {
          headers: { accept: 'application/json', ...(cookie ? { cookie } : {}) },
          ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { json: {} }),
        });
        expect(response.status, `${r.method} ${path}`).toBe(401);
        expect(response.body).toEqual({
          error: {
            code: 'sign_in_required',
            message: 'Sign in to continue.',
            request_id: expect.any(String),
          },
        });
        expect(response.headers.get('cache-control')).toBe('no-store');
      }
    }
  });
});

describe('one account never sees or touches another’s keys', () => {
  it('lists only its own keys; another account’s key id is not found for every action', async () => {
    const me = await owner();
    const them = await owner();
    const mine = await mintKey(server, me.account.id, { name: 'mine' });
    const theirs = await mintKey(server, them.account.id, { name: 'theirs' });
    const before = await snapshot(them.account.id);

    const list = await me.session.request('GET', '/dashboard/api/keys');
    expect(list.status).toBe(200);
    expect(list.body.data.map((k: { key_id: string }) => k.key_id)).toEqual([mine.key_id]);
    expect(list.text).not.toContain(theirs.key_id);
    expect(list.text).not.toContain(them.account.id);
    const account = await me.session.request('GET', '/dashboard/api/account');
    expect(account.body).toMatchObject({ id: me.account.id, email: me.account.email });
    expect(account.text).not.toContain(them.account.email);

    for (const action of ['deactivate', 'reactivate', 'revoke', 'approve']) {
      const response = await me.session.request('POST', `/dashboard/api/keys/${theirs.key_id}/${action}`);
      expect(response.status, action).toBe(404);
      expect(response.body.error).toMatchObject({ code: 'not_found', message: 'Key not found.' });
    }
    expect((await me.session.request('DELETE', `/dashboard/api/keys/${theirs.key_id}`)).status).toBe(404);
    expect(await snapshot(them.account.id)).toEqual(before);
    expect(await works(theirs.key)).toBe(true);

    // The pages show the signed-in account only, too.
    const page = await server.request('GET', '/keys', { headers: { cookie: me.session.cookie } });
    expect(page.text).toContain(mine.key_id);
    expect(page.text).not.toContain(theirs.key_id);
    expect(page.text).not.toContain(them.account.email);
  });
});

type Expectation = 'not_found' | 'clean' | 'per_item';

/**
 * Every endpoint of the registry (keyed `METHOD path`), asked by one account about another's things, and what it
 * must answer: `not_found` (404), `clean` (answers about the caller only: none of the other's ids), `per_item`
 * (each item of a bulk call not found). A new endpoint without an entry fails the walk.
 */
const ISOLATION: Record<string, (theirs: Holdings) => Sample & { expect: Expectation }> = {
  'GET /account': () => ({ path: '/account', expect: 'clean' }),
  'PATCH /account': () => ({ path: '/account', json: { registration_policy: 'open' }, expect: 'clean' }),
  'GET /keys': () => ({ path: '/keys', expect: 'clean' }),
  'POST /keys': () => ({ path: '/keys', json: { environment: 'test' }, expect: 'clean' }),
  'POST /keys/:id/:action': (t) => ({ path: `/keys/${t.keyId}/revoke`, expect: 'not_found' }),
  'DELETE /keys/:id': (t) => ({ path: `/keys/${t.keyId}`, expect: 'not_found' }),
  'GET /media': () => ({ path: '/media?environment=test', expect: 'clean' }),
  'GET /media/namespaces': () => ({ path: '/media/namespaces?environment=test', expect: 'clean' }),
  'POST /media': () => ({ path: '/media?environment=test', expect: 'clean' }),
  'GET /media/:id': (t) => ({ path: `/media/${t.mediaId}`, expect: 'not_found' }),
  'GET /media/:id/rendition': (t) => ({ path: `/media/${t.mediaId}/rendition?w=10`, expect: 'not_found' }),
  'PATCH /media/:id': (t) => ({
    path: `/media/${t.mediaId}`,
    json: { name: 'mine now' },
    expect: 'not_found',
  }),
  'DELETE /media/:id': (t) => ({ path: `/media/${t.mediaId}`, expect: 'not_found' }),
  'POST /media/bulk-delete': (t) => ({
    path: '/media/bulk-delete',
    json: { environment: 'test', ids: [t.mediaId] },
    expect: 'per_item',
  }),
  'POST /media/bulk-update': (t) => ({
    path: '/media/bulk-update',
    json: { environment: 'test', ids: [t.mediaId], change: { public: false } },
    expect: 'per_item',
  }),
  'GET /enhancements': () => ({ path: '/enhancements?environment=test', expect: 'clean' }),
  'GET /enhancements/keys': () => ({ path: '/enhancements/keys', expect: 'clean' }),
  'POST /enhancements': (t) => ({
    path: '/enhancements',
    json: { key_id: t.keyId, urls: [UNREACHABLE_SOURCE], idempotency_key: `walk-${randomUUID()}` },
    expect: 'not_found',
  }),
  'GET /enhancements/:id': (t) => ({ path: `/enhancements/${t.enhancementId}`, expect: 'not_found' }),
  'GET /enhancements/:id/deliveries': (t) => ({
    path: `/enhancements/${t.enhancementId}/deliveries`,
    expect: 'not_found',
  }),
  'POST /webhook-events/:id/redeliver': (t) => ({
    path: `/webhook-events/${t.eventId}/redeliver`,
    expect: 'not_found',
  }),
  'GET /usage': () => ({ path: '/usage', expect: 'clean' }),
  'GET /usage/series': () => ({ path: '/usage/series?days=7', expect: 'clean' }),
  'GET /credits/ledger': () => ({ path: '/credits/ledger', expect: 'clean' }),
};

describe('no endpoint shows or changes another account’s data', () => {
  it('every endpoint has an isolation case here', () => {
    for (const r of DASHBOARD_API)
      expect(ISOLATION[`${r.method} ${r.path}`], `${r.method} ${r.path}`).toBeDefined();
  });

  it('asked about another account’s key, image, batch or event: not found, nothing of theirs shown or changed', async () => {
    const me = await owner();
    const them = await owner();
    await holdings(me.account.id);
    const theirs = await holdings(them.account.id);
    const grant = await server.admin('POST', `/admin/v1/accounts/${them.account.id}/credits`, {
      amount: 7,
      kind: 'purchased',
    });
    const secrets = [
      theirs.keyId,
      theirs.key,
      theirs.mediaId,
      theirs.enhancementId,
      theirs.eventId,
      grant.body.entry.id,
      them.account.id,
      them.account.email,
    ];
    const before = await snapshot(them.account.id);
    for (const r of DASHBOARD_API) {
      const label = `${r.method} ${r.path}`;
      const sample = (ISOLATION[label] as (t: Holdings) => Sample & { expect: Expectation })(theirs);
      const body =
        r.method === 'POST' && r.path === '/media'
          ? { body: uploadForm(await images.jpeg(9, 9), { filename: 'mine.jpg' }) }
          : withSample(sample);
      const response = await me.session.request(r.method, `${DASHBOARD_API_PREFIX}${sample.path}`, body);
      if (sample.expect === 'not_found') {
        expect(response.status, `${label}: ${response.text}`).toBe(404);
      } else if (sample.expect === 'per_item') {
        expect(response.status, label).toBe(200);
        expect(response.body.data, label).toEqual([]);
        expect(
          response.body.errors.map((e: { error: string }) => e.error),
          label,
        ).toEqual(['not_found']);
        continue; // The answer names the id it was given, and nothing else.
      } else {
        expect(response.status, `${label}: ${response.text}`).toBeLessThan(300);
      }
      for (const secret of secrets) expect(response.text, `${label} shows ${secret}`).not.toContain(secret);
    }
    expect(await snapshot(them.account.id)).toEqual(before);
    expect(await works(theirs.key)).toBe(true);

    // Their images cannot be the sources of my batch, and their pages are not mine.
    const mine = await holdings(me.account.id);
    const borrowed = await me.session.request('POST', '/dashboard/api/enhancements', {
      json: { key_id: mine.keyId, media_ids: [theirs.mediaId], idempotency_key: `walk-${randomUUID()}` },
    });
    expect(borrowed.status).toBe(400);
    for (const path of [`/media/${theirs.mediaId}`, `/enhancements/${theirs.enhancementId}`]) {
      const page = await server.request('GET', path, {
        headers: { cookie: me.session.cookie, accept: 'text/html' },
      });
      expect(page.status, path).toBe(404);
      for (const secret of secrets) expect(page.text, `${path} shows ${secret}`).not.toContain(secret);
    }
  });
});

describe('keys from the dashboard', () => {
  let me: { account: Awaited<ReturnType<typeof createAccount>>; session: WebSession };
  beforeAll(async () => {
    me = await owner();
  });

  it('create: the key and its whsec_ secret once, then only the hint; the key works on both families', async () => {
    const expires = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const created = await me.session.request('POST', '/dashboard/api/keys', {
      json: { name: 'website', environment: 'live', expires_at: expires },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: 'website',
      environment: 'live',
      status: 'active',
      expires_at: expires,
      last_used_at: null,
    });
    expect(created.body.key).toMatch(/^img_live_[0-9A-Za-z]{36}$/);
    expect(created.body.webhook_secret).toBe(webhookSecretOf(created.body.key));
    expect(created.body.webhook_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(await works(created.body.key)).toBe(true);
    const enhancement = await server.request('GET', '/api/v1/product-image-enhancements', {
      key: created.body.key,
    });
    expect(enhancement.status).toBe(200);

    const list = await me.session.request('GET', '/dashboard/api/keys');
    const row = list.body.data.find((k: { key_id: string }) => k.key_id === created.body.key_id);
    expect(row).toMatchObject({ name: 'website', hint: created.body.key.slice(0, 13).concat('…') });
    expect(list.text).not.toContain(created.body.key);
    expect(list.text).not.toContain(created.body.webhook_secret);
    expect(row.last_used_at).not.toBeNull();
  });

  it('deactivate → refused by the API; reactivate → works; revoke → refused for good; delete → gone', async () => {
    const created = (
      await me.session.request('POST', '/dashboard/api/keys', { json: { name: 'ci', environment: 'live' } })
    ).body;
    const act = (action: string) =>
      me.session.request('POST', `/dashboard/api/keys/${created.key_id}/${action}`);

    expect((await act('deactivate')).body.status).toBe('inactive');
    expect(await works(created.key)).toBe(false);
    const inactive = await server.request('GET', '/api/v1/product-image-enhancements', { key: created.key });
    expect(inactive.body.error.code).toBe('api_key_inactive');

    expect((await act('reactivate')).body.status).toBe('active');
    expect(await works(created.key)).toBe(true);

    const revoked = await act('revoke');
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    const hosting = await server.request('GET', '/v1/usage', { key: created.key });
    expect(hosting.status).toBe(401);
    expect(hosting.body).toMatchObject({ error: 'unauthorized', message: 'API key revoked' });
    const nested = await server.request('GET', '/api/v1/product-image-enhancements', { key: created.key });
    expect(nested.status).toBe(401);
    expect(nested.body.error.code).toBe('api_key_revoked');

    const back = await act('reactivate');
    expect(back.status).toBe(400);
    expect(back.body.error).toMatchObject({
      code: 'invalid_payload',
      message: 'A revoked key cannot be reactivated.',
    });
    expect((await act('deactivate')).status).toBe(400);
    expect(await works(created.key)).toBe(false);

    const deleted = await me.session.request('DELETE', `/dashboard/api/keys/${created.key_id}`);
    expect(deleted.body).toEqual({ key_id: created.key_id, deleted: true });
    expect((await listKeys(server, me.account.id)).some((k) => k.key_id === created.key_id)).toBe(false);
    expect((await server.request('GET', '/v1/usage', { key: created.key })).status).toBe(401);
    expect((await act('revoke')).status).toBe(404);
  });

  it('approves a key asked for by email (registration policy: approval)', async () => {
    const requested = await server.request('POST', '/v1/keys', {
      json: { email: me.account.email, name: 'asked' },
    });
    expect(requested.body.status).toBe('pending_approval');
    expect(await works(requested.body.key)).toBe(false);
    const approved = await me.session.request('POST', `/dashboard/api/keys/${requested.body.key_id}/approve`);
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.status).toBe('active');
    expect(await works(requested.body.key)).toBe(true);
    expect(
      (await me.session.request('POST', `/dashboard/api/keys/${requested.body.key_id}/approve`)).status,
    ).toBe(400);
  });

  it('sets the registration policy, which POST /v1/keys then follows', async () => {
    const closed = await me.session.request('PATCH', '/dashboard/api/account', {
      json: { registration_policy: 'closed' },
    });
    expect(closed.status).toBe(200);
    expect(closed.body.registration_policy).toBe('closed');
    expect((await getAccount(server, me.account.id)).registration_policy).toBe('closed');
    const refused = await server.request('POST', '/v1/keys', { json: { email: me.account.email } });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('registration_closed');
    expect(refused.body.action.url).toBe(`${server.url}/keys`);
    const bad = await me.session.request('PATCH', '/dashboard/api/account', {
      json: { registration_policy: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_payload');
    await me.session.request('PATCH', '/dashboard/api/account', {
      json: { registration_policy: 'approval' },
    });
  });

  it('refuses bad input with invalid_payload and creates nothing', async () => {
    const before = await snapshot(me.account.id);
    for (const json of [
      { environment: 'prod' },
      { name: 'x'.repeat(65), environment: 'live' },
      { environment: 'live', expires_at: 'tomorrow' },
      { environment: 'live', expires_at: new Date(Date.now() - 1000).toISOString() },
      { environment: 'live', extra: 1 },
      {},
    ]) {
      const response = await me.session.request('POST', '/dashboard/api/keys', { json });
      expect(response.status, JSON.stringify(json)).toBe(400);
      expect(response.body.error.code).toBe('invalid_payload');
    }
    expect((await me.session.request('POST', '/dashboard/api/keys/key_x/explode')).status).toBe(400);
    expect(await snapshot(me.account.id)).toEqual(before);
  });
});

describe('key limits (docs/api.md §4)', () => {
  it('at most 5 active or pending keys: a 6th creation and a reactivation past the cap are refused', async () => {
    const me = await owner();
    const made: { key_id: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await me.session.request('POST', '/dashboard/api/keys', { json: { environment: 'test' } });
      expect(r.status, r.text).toBe(201);
      made.push(r.body);
    }
    const sixth = await me.session.request('POST', '/dashboard/api/keys', { json: { environment: 'test' } });
    expect(sixth.status).toBe(403);
    expect(sixth.body.error.code).toBe('active_key_limit_reached');

    // Deactivating one frees a place; taking it makes reactivating the other impossible.
    const first = made[0]?.key_id as string;
    await me.session.request('POST', `/dashboard/api/keys/${first}/deactivate`);
    expect(
      (await me.session.request('POST', '/dashboard/api/keys', { json: { environment: 'test' } })).status,
    ).toBe(201);
    const reactivate = await me.session.request('POST', `/dashboard/api/keys/${first}/reactivate`);
    expect(reactivate.status).toBe(403);
    expect(reactivate.body.error.code).toBe('active_key_limit_reached');
    const statuses = (await listKeys(server, me.account.id)).map((k) => k.status);
    expect(statuses.filter((s) => s === 'active')).toHaveLength(5);
  });

  it('a suspended account can look but not create or reactivate', async () => {
    const me = await owner();
    await patchAccount(server, me.account.id, { suspended: true });
    const refused = await me.session.request('POST', '/dashboard/api/keys', {
      json: { environment: 'live' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('account_suspended');
    expect((await me.session.request('GET', '/dashboard/api/keys')).status).toBe(200);
  });

  it('creations per hour and per day are limited per account (429 with Retry-After), and nothing is created', async () => {
    const hourly = await startTestServer({
      LIGHTBOX_DASHBOARD_KEY_CREATES_PER_HOUR: '2',
      LIGHTBOX_DASHBOARD_KEY_CREATES_PER_DAY: '1000',
      LIGHTBOX_DASHBOARD_MAX_ACTIVE_KEYS: '100',
    });
    const daily = await startTestServer({
      LIGHTBOX_DASHBOARD_KEY_CREATES_PER_HOUR: '1000',
      LIGHTBOX_DASHBOARD_KEY_CREATES_PER_DAY: '3',
      LIGHTBOX_DASHBOARD_MAX_ACTIVE_KEYS: '100',
    });
    try {
      for (const [limited, allowed] of [
        [hourly, 2],
        [daily, 3],
      ] as const) {
        const account = await createAccount(limited, { verified: true });
        const session = await signIn(limited, account.email);
        for (let i = 0; i < allowed; i++) {
          const ok = await session.request('POST', '/dashboard/api/keys', { json: { environment: 'test' } });
          expect(ok.status, ok.text).toBe(201);
        }
        const refused = await session.request('POST', '/dashboard/api/keys', {
          json: { environment: 'test' },
        });
        expect(refused.status).toBe(429);
        expect(refused.body.error.code).toBe('rate_limit_exceeded');
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await listKeys(limited, account.id)).toHaveLength(allowed);
        // Another account has its own budget.
        const other = await signIn(limited, (await createAccount(limited, { verified: true })).email);
        expect(
          (await other.request('POST', '/dashboard/api/keys', { json: { environment: 'test' } })).status,
        ).toBe(201);
      }
    } finally {
      await hourly.close();
      await daily.close();
    }
  });
});
