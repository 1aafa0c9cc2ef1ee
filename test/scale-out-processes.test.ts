import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../src/credits/ledger.ts';
import { openPostgresStore } from '../src/store/postgres-store.ts';
import type { Store } from '../src/store/store.ts';
import { TEST_REDIS_URL } from './support/databases.ts';
import { startS3rver } from './support/fake-s3.ts';
import { createPostgresDatabase } from './support/postgres.ts';
import { type LightboxProcess, startLightboxProcess } from './support/processes.ts';
import { startProductSource } from './support/product-source.ts';
import { deleteRedisPrefix } from './support/redis.ts';

/**
 * Two API processes and one worker process against one PostgreSQL, one Redis and one S3 (s3rver): the rules that
 * need coordination — idempotency, credits, the active-enhancement limit — hold across processes.
 */
describe('scale-out: two API processes and a worker', () => {
  const adminToken = `lbadm_${randomBytes(18).toString('base64url')}`;
  const prefix = `lbtest:${randomBytes(6).toString('hex')}:`;
  let pg: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let source: Awaited<ReturnType<typeof startProductSource>>;
  let apiA: LightboxProcess;
  let apiB: LightboxProcess;
  let worker: LightboxProcess;
  let store: Store;

  beforeAll(async () => {
    [pg, s3, source] = await Promise.all([
      createPostgresDatabase(),
      startS3rver('lightbox-test'),
      startProductSource(),
    ]);
    const env = {
      LIGHTBOX_DATABASE_URL: pg.url,
      LIGHTBOX_REDIS_URL: TEST_REDIS_URL,
      LIGHTBOX_REDIS_PREFIX: prefix,
      LIGHTBOX_S3_BUCKET: 'lightbox-test',
      LIGHTBOX_S3_ENDPOINT: s3.endpoint,
      LIGHTBOX_S3_ACCESS_KEY_ID: 'S3RVER',
      LIGHTBOX_S3_SECRET_ACCESS_KEY: 'S3RVER',
      LIGHTBOX_S3_FORCE_PATH_STYLE: '1',
      LIGHTBOX_ADMIN_TOKEN: adminToken,
      LIGHTBOX_SECRET: randomBytes(32).toString('hex'),
      LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
      LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_ACCOUNT: '100',
      LIGHTBOX_ENHANCEMENT_CREATES_PER_MINUTE: '1000',
    };
    // The first process migrates; starting them one after another keeps the logs readable.
    apiA = await startLightboxProcess('api', {
      ...env,
      LIGHTBOX_DATA_DIR: `/tmp/lightbox-scale-a-${prefix.slice(7, 19)}`,
    });
    [apiB, worker] = await Promise.all([
      startLightboxProcess('api', {
        ...env,
        LIGHTBOX_DATA_DIR: `/tmp/lightbox-scale-b-${prefix.slice(7, 19)}`,
      }),
      startLightboxProcess('worker', {
        ...env,
        LIGHTBOX_DATA_DIR: `/tmp/lightbox-scale-w-${prefix.slice(7, 19)}`,
      }),
    ]);
    store = await openPostgresStore(pg.url);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([apiA?.stop(), apiB?.stop(), worker?.stop()]);
    await store?.close();
    await Promise.all([pg?.drop(), s3?.close(), source?.close()]);
    await deleteRedisPrefix(TEST_REDIS_URL, prefix);
  }, 60_000);

  const call = async (
    base: string,
    method: string,
    path: string,
    init: { key?: string; json?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
        ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  const admin = (method: string, path: string, json?: unknown) =>
    call(apiA.url, method, path, { key: adminToken, ...(json !== undefined ? { json } : {}) });

  async function liveAccount(credits: number) {
    const account = (
      await admin('POST', '/admin/v1/accounts', {
        email: `${randomBytes(6).toString('hex')}@example.test`,
        email_verified: true,
      })
    ).body;
    await admin('POST', `/admin/v1/accounts/${account.id}/credits`, { amount: credits, kind: 'purchased' });
    return account as { id: string };
  }
  const mintKey = async (accountId: string) =>
    (await admin('POST', `/admin/v1/accounts/${accountId}/keys`, { environment: 'live' })).body.key as string;
  const images = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ source_url: `${source.base}/p${i}.jpg` }));

  it('resolves 20 identical creates spread over both API processes to one enhancement and one reservation', async () => {
    const account = await liveAccount(200);
    const key = await mintKey(account.id);
    const body = { images: images(2) };
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(i % 2 ? apiA.url : apiB.url, 'POST', '/api/v1/product-image-enhancements', {
          key,
          json: body,
          headers: { 'idempotency-key': 'same-key-across-processes' },
        }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(
      responses.filter((r) => r.status === 200 && r.headers.get('idempotent-replayed') === 'true'),
    ).toHaveLength(19);
    expect(new Set(responses.map((r) => r.body.enhancement.id)).size).toBe(1);
    const reserves = await store.db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('account_id', '=', account.id)
      .where('type', '=', 'reserve')
      .execute();
    expect(reserves).toHaveLength(1);
    expect(await ledgerViolations(store.db, account.id)).toEqual([]);
  });

  it('accepts exactly the batches the balance covers when 20 creates race across processes', async () => {
    // 200 credits cover three 13-image batches (3 × 65 = 195) and not a fourth.
    const account = await liveAccount(200);
    const keys = await Promise.all(Array.from({ length: 20 }, () => mintKey(account.id)));
    const responses = await Promise.all(
      keys.map((key, i) =>
        call(i % 2 ? apiA.url : apiB.url, 'POST', '/api/v1/product-image-enhancements', {
          key,
          json: { images: images(13) },
          headers: { 'idempotency-key': `race-${i}-${account.id}` },
        }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(3);
    expect(
      responses
        .filter((r) => r.status === 402)
        .every((r) => r.body.error.code === 'insufficient_api_credits'),
    ).toBe(true);
    expect(responses.filter((r) => r.status === 402)).toHaveLength(17);
    const row = await store.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow();
    expect(row.paid_available).toBeGreaterThanOrEqual(0);
    expect(row.paid_available + row.paid_reserved).toBeLessThanOrEqual(200);
    expect(await ledgerViolations(store.db, account.id)).toEqual([]);
  });

  it('holds the active-enhancement limit per key across processes, and the worker completes the batch', async () => {
    const account = await liveAccount(200);
    const key = await mintKey(account.id);
    const [first, second] = await Promise.all(
      [apiA, apiB].map((api, i) =>
        call(api.url, 'POST', '/api/v1/product-image-enhancements', {
          key,
          json: { images: images(1) },
          headers: { 'idempotency-key': `active-${i}-${account.id}` },
        }),
      ),
    );
    const statuses = [first?.status, second?.status].sort();
    expect(statuses).toEqual([201, 429]);
    const created = [first, second].find((r) => r?.status === 201);
    const refused = [first, second].find((r) => r?.status === 429);
    expect(refused?.body.error.code).toBe('too_many_active_enhancements');
    const id = created?.body.enhancement.id as string;

    // The separate worker process picks it up through Redis; the result lives in S3 and loads through API B.
    const deadline = Date.now() + 60_000;
    let done: { status: number; body: { enhancement: { status: string; items: { result_url: string }[] } } };
    for (;;) {
      done = await call(apiB.url, 'GET', `/api/v1/product-image-enhancements/${id}`, { key });
      if (done.body.enhancement.status === 'completed') break;
      if (Date.now() > deadline)
        throw new Error(`batch did not complete: ${JSON.stringify(done.body)}\n${worker.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const resultUrl = new URL(done.body.enhancement.items[0]?.result_url ?? '');
    const image = await fetch(`${apiB.url}${resultUrl.pathname}`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(await ledgerViolations(store.db, account.id)).toEqual([]);
    const stored = await store.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow();
    expect([stored.paid_available, stored.paid_reserved]).toEqual([195, 0]);
  }, 90_000);
});
