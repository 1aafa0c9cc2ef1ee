// The dashboard's enhancement endpoints over real HTTP (docs/web.md): a batch made with a key the owner picks
// (test: the free sandbox; live: the account's paid credits), idempotent per submitted form, from URLs or from the
// media library; its items with the published handling of their errors; webhook deliveries and redelivery.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemErrorCatalog } from '../src/errors/catalog.ts';
import {
  credits,
  enhancementAccount,
  enhancementSuite,
  LOOPBACK_SOURCES,
  movements,
  newIdempotencyKey,
  productPhoto,
  type SourceServer,
  startSourceServer,
} from './support/enhancement-fixtures.ts';
import { createAccount, mintKey, patchAccount, patchKey } from './support/fixtures.ts';
import { type HttpsReceiver, startHttpsReceiver, testCertificate } from './support/https-receiver.ts';
import { uploadForm } from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { signIn, type WebSession } from './support/web-session.ts';

const books = enhancementSuite();
const cert = testCertificate();
let server: TestServer;
let sources: SourceServer;
let receiver: HttpsReceiver;
let photo: Buffer;

beforeAll(async () => {
  sources = await startSourceServer();
  photo = await productPhoto('jpeg');
  for (const path of ['/a.jpg', '/b.jpg', '/c.jpg']) sources.serve(path, photo, 'image/jpeg');
  receiver = await startHttpsReceiver(cert, (count) => (count === 1 ? 500 : 200));
  server = await startTestServer({
    ...LOOPBACK_SOURCES,
    LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
    LIGHTBOX_WEBHOOK_RETRY_DELAYS: '600',
    LIGHTBOX_SIGN_IN_PER_EMAIL_PER_HOUR: '1000',
    LIGHTBOX_SIGN_IN_PER_IP_PER_HOUR: '100000',
  });
});
afterAll(async () => {
  await server?.close();
  await sources?.close();
  await receiver?.close();
});

const src = (path: string) => `${sources.url}${path}`;

async function owner(environment: 'live' | 'test' = 'test', purchased?: number) {
  const keyed = await enhancementAccount(server, books, {
    environment,
    ...(purchased !== undefined ? { purchased } : {}),
  });
  return { ...keyed, session: await signIn(server, keyed.account.email) };
}

const create = (session: WebSession, json: Record<string, unknown>) =>
  session.request('POST', '/dashboard/api/enhancements', {
    json: { idempotency_key: newIdempotencyKey(), ...json },
  });

async function finished(session: WebSession, id: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await session.request('GET', `/dashboard/api/enhancements/${id}`);
    expect(response.status, response.text).toBe(200);
    const { enhancement } = response.body;
    if (['completed', 'partially_completed', 'failed'].includes(enhancement.status)) return enhancement;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${enhancement.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a batch with a test key', () => {
  it('runs in the sandbox from URLs: free, completed with results, listed under test only', async () => {
    const me = await owner('test');
    const created = await create(me.session, {
      key_id: me.keyId,
      urls: [src('/a.jpg'), ` ${src('/b.jpg')} `],
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      enhancement: { status: 'queued', total_items: 2, credits_reserved: 0, sandbox: true },
      replayed: false,
    });
    const done = await finished(me.session, created.body.enhancement.id);
    expect(done).toMatchObject({
      status: 'completed',
      environment: 'test',
      sandbox: true,
      completed_items: 2,
      key: { name: expect.any(String), hint: expect.stringMatching(/…$/) },
      webhook_url: null,
    });
    for (const item of done.items) {
      expect(item).toMatchObject({ status: 'completed', error_code: null, error_handling: null });
      expect((await fetch(item.result_url)).status).toBe(200);
    }
    const test = await me.session.request('GET', '/dashboard/api/enhancements?environment=test');
    expect(test.body.enhancements.map((e: { id: string }) => e.id)).toEqual([done.id]);
    const live = await me.session.request('GET', '/dashboard/api/enhancements');
    expect(live.body.enhancements).toEqual([]);
    expect(await credits(server, me.accountId)).toMatchObject({ paid_available: 0, paid_reserved: 0 });
  });

  it('takes images from the media library of the key’s environment, sent as their src URLs', async () => {
    const me = await owner('test');
    const upload = (environment: string) =>
      me.session.request('POST', `/dashboard/api/media?environment=${environment}`, {
        body: uploadForm(photo, { filename: 'chair.jpg' }),
      });
    const mine = (await upload('test')).body;
    const live = (await upload('live')).body;
    const created = await create(me.session, { key_id: me.keyId, media_ids: [mine.id] });
    expect(created.status, created.text).toBe(201);
    const done = await finished(me.session, created.body.enhancement.id);
    expect(done.status).toBe('completed');
    expect(done.items[0]).toMatchObject({ source_url: mine.src, external_id: mine.id });

    // A live image is not in the test library; nor is an unknown id.
    for (const ids of [[live.id], ['ZZZZZZZZ']]) {
      const refused = await create(me.session, { key_id: me.keyId, media_ids: ids });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('invalid_payload');
      expect(refused.body.error.errors.media_ids).toBeDefined();
    }
  });

  it('a failed item carries its code, message and the published handling', async () => {
    const me = await owner('test');
    const created = await create(me.session, {
      key_id: me.keyId,
      urls: [src('/a.jpg'), `${src('/c.jpg')}#simulate=download_timeout`],
    });
    const done = await finished(me.session, created.body.enhancement.id);
    expect(done.status).toBe('partially_completed');
    expect(done.items[1]).toMatchObject({
      status: 'failed',
      error_code: 'download_timeout',
      error_handling: itemErrorCatalog.download_timeout.handling,
    });
  });
});

describe('idempotency, keys and limits', () => {
  it('the same submitted form twice makes one batch; the same key with another body is a conflict', async () => {
    const me = await owner('test');
    const idempotency_key = newIdempotencyKey();
    const body = { key_id: me.keyId, urls: [src('/a.jpg')], idempotency_key };
    const first = await me.session.request('POST', '/dashboard/api/enhancements', { json: body });
    const again = await me.session.request('POST', '/dashboard/api/enhancements', { json: body });
    expect(first.status).toBe(201);
    expect(again.body).toMatchObject({ enhancement: { id: first.body.enhancement.id }, replayed: true });
    const conflict = await me.session.request('POST', '/dashboard/api/enhancements', {
      json: { ...body, urls: [src('/b.jpg')] },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_conflict');
    await finished(me.session, first.body.enhancement.id);
    const list = await me.session.request('GET', '/dashboard/api/enhancements?environment=test');
    expect(list.body.enhancements).toHaveLength(1);
  });

  it('a live key spends the account’s paid credits through the ledger; without enough, nothing is made', async () => {
    const me = await owner('live', 200);
    const created = await create(me.session, { key_id: me.keyId, urls: [src('/a.jpg'), src('/b.jpg')] });
    expect(created.status, created.text).toBe(201);
    expect(created.body.enhancement).toMatchObject({ sandbox: false });
    const id = created.body.enhancement.id;
    const reserved = created.body.enhancement.credits_reserved;
    expect(reserved).toBeGreaterThan(0);
    const done = await finished(me.session, id);
    expect(done).toMatchObject({ status: 'completed', credits_used: reserved });
    expect(await movements(server, me.accountId, id)).toEqual([
      `reserve:-${reserved}`,
      ...done.items.map((i: { credits_used: number }) => `consume:-${i.credits_used}`),
    ]);

    const poor = await owner('live', 0);
    const refused = await create(poor.session, { key_id: poor.keyId, urls: [src('/a.jpg')] });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('api_access_not_enabled');
  });

  it('refuses keys that could not make the batch through the API either, and bad batches', async () => {
    const me = await owner('test');
    const them = await owner('test');
    const cases: [string | (() => Promise<string>), number, string][] = [
      [them.keyId, 404, 'not_found'],
      [
        async () => {
          const k = await mintKey(server, me.accountId, { environment: 'test' });
          await patchKey(server, k.key_id, { status: 'inactive' });
          return k.key_id;
        },
        401,
        'api_key_inactive',
      ],
      [
        async () => {
          const k = await mintKey(server, me.accountId, { environment: 'test' });
          await patchKey(server, k.key_id, { status: 'revoked' });
          return k.key_id;
        },
        401,
        'api_key_revoked',
      ],
    ];
    for (const [key, status, code] of cases) {
      const keyId = typeof key === 'string' ? key : await key();
      const response = await create(me.session, { key_id: keyId, urls: [src('/a.jpg')] });
      expect(response.status, code).toBe(status);
      expect(response.body.error.code).toBe(code);
    }
    for (const json of [
      { key_id: me.keyId },
      { key_id: me.keyId, urls: [] },
      { key_id: me.keyId, urls: Array.from({ length: 21 }, () => src('/a.jpg')) },
      { key_id: me.keyId, urls: [src('/a.jpg')], preset: 'nope' },
      { key_id: me.keyId, urls: [src('/a.jpg')], webhook_url: 'http://plain.example/hook' },
      { key_id: me.keyId, urls: [src('/a.jpg')], idempotency_key: 'short' },
    ]) {
      const response = await me.session.request('POST', '/dashboard/api/enhancements', {
        json: { idempotency_key: newIdempotencyKey(), ...json },
      });
      expect(response.status, JSON.stringify(json)).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    await patchAccount(server, me.accountId, { suspended: true });
    const suspended = await create(me.session, { key_id: me.keyId, urls: [src('/a.jpg')] });
    expect(suspended.body.error.code).toBe('account_suspended');
    const list = await me.session.request('GET', '/dashboard/api/enhancements?environment=test');
    expect(list.body.enhancements).toEqual([]);
  });

  it('offers the keys a batch can be made with: active and unexpired, newest first', async () => {
    const account = await createAccount(server, { verified: true });
    books.track(server, account.id);
    const a = await mintKey(server, account.id, { environment: 'test', name: 'sandbox' });
    const b = await mintKey(server, account.id, { environment: 'live', name: 'site' });
    const off = await mintKey(server, account.id, { environment: 'live', name: 'off' });
    await patchKey(server, off.key_id, { status: 'inactive' });
    const session = await signIn(server, account.email);
    const keys = await session.request('GET', '/dashboard/api/enhancements/keys');
    expect(keys.body.data.map((k: { key_id: string }) => k.key_id)).toEqual([b.key_id, a.key_id]);
    expect(keys.text).not.toContain(a.key);
  });
});

describe('webhook deliveries', () => {
  it('lists every attempt; redeliver sends the event again now; another account’s events are not found', async () => {
    const me = await owner('test');
    const created = await create(me.session, {
      key_id: me.keyId,
      urls: [src('/a.jpg')],
      webhook_url: receiver.url,
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.enhancement.id;
    await finished(me.session, id);
    const deliveries = async () => {
      const response = await me.session.request('GET', `/dashboard/api/enhancements/${id}/deliveries`);
      expect(response.status, response.text).toBe(200);
      return response.body.data as {
        id: string;
        type: string;
        status: string;
        attempt_log: { outcome: string; status_code: number | null }[];
      }[];
    };
    // The receiver fails the first request it gets: one event waits for its retry (10 minutes away).
    let events = await deliveries();
    const deadline = Date.now() + 20_000;
    while (events.some((e) => e.attempt_log.length === 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      events = await deliveries();
    }
    const failed = events.find((e) => e.status === 'pending');
    expect(failed, JSON.stringify(events)).toBeDefined();
    expect(failed?.attempt_log).toEqual([
      expect.objectContaining({ outcome: 'http_error', status_code: 500 }),
    ]);

    const them = await owner('test');
    const stolen = await them.session.request(
      'POST',
      `/dashboard/api/webhook-events/${failed?.id}/redeliver`,
    );
    expect(stolen.status).toBe(404);
    expect((await them.session.request('GET', `/dashboard/api/enhancements/${id}/deliveries`)).status).toBe(
      404,
    );

    const redelivered = await me.session.request(
      'POST',
      `/dashboard/api/webhook-events/${failed?.id}/redeliver`,
    );
    expect(redelivered.status, redelivered.text).toBe(200);
    expect(redelivered.body).toMatchObject({ id: failed?.id, status: 'pending', redelivery: true });
    const until = Date.now() + 20_000;
    let again = (await deliveries()).find((e) => e.id === failed?.id);
    while (again?.status !== 'delivered' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      again = (await deliveries()).find((e) => e.id === failed?.id);
    }
    expect(again?.status).toBe('delivered');
    expect(again?.attempt_log.map((a) => a.outcome)).toEqual(['http_error', 'delivered']);
  });
});
