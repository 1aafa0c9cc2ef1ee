import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../src/credits/ledger.ts';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { openPostgresStore } from '../src/store/postgres-store.ts';
import type { Store } from '../src/store/store.ts';
import { TEST_PROFILE, TEST_REDIS_URL } from './support/databases.ts';
import { startS3rver } from './support/fake-s3.ts';
import { createPostgresDatabase } from './support/postgres.ts';
import { type LightboxProcess, startLightboxProcess } from './support/processes.ts';
import { deleteRedisPrefix } from './support/redis.ts';

const ITEMS = 8;
const CREDITS_PER_IMAGE = 5;

/**
 * A loopback source of product photos that answers each request after a pause, so a batch takes a while; paths
 * under `/slow/` wait `slowMs` instead.
 */
async function slowProductSource(
  delayMs: number,
  slowMs: number,
): Promise<{ base: string; close(): Promise<void> }> {
  const box = await sharp({ create: { width: 400, height: 500, channels: 3, background: '#223355' } })
    .png()
    .toBuffer();
  const photo = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#f4f4f4' } })
    .composite([{ input: box, left: 400, top: 200 }])
    .jpeg()
    .toBuffer();
  const server: Server = createServer((request, response) => {
    const wait = request.url?.startsWith('/slow/') ? slowMs : delayMs;
    const timer = setTimeout(
      () => response.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo),
      wait,
    );
    response.once('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A worker process killed with SIGKILL in the middle of a batch loses nothing: its jobs' leases run out, another
 * worker takes them, every item ends terminal and is charged exactly once. On both queue backends (BullMQ on
 * Redis; the SQL jobs table on PostgreSQL), with the blobs in S3 as in production.
 */
// It brings its own scale-out backends whatever the profile: the scale-out run of test/ would only repeat it.
describe.skipIf(TEST_PROFILE === 'scale-out').each([
  ['bullmq', true],
  ['sql on postgres', false],
] as const)('crash safety: a worker killed with -9 mid-batch (%s queue)', (_name, redis) => {
  const adminToken = `lbadm_${randomBytes(18).toString('base64url')}`;
  const prefix = `lbtest:${randomBytes(6).toString('hex')}:`;
  const run = prefix.slice(7, 19);
  let pg: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let source: Awaited<ReturnType<typeof slowProductSource>>;
  let api: LightboxProcess;
  const workers: LightboxProcess[] = [];
  let store: Store;
  let env: Record<string, string>;

  beforeAll(async () => {
    [pg, s3, source] = await Promise.all([
      createPostgresDatabase(),
      startS3rver('lightbox-test'),
      slowProductSource(400, 6_000),
    ]);
    env = {
      LIGHTBOX_DATABASE_URL: pg.url,
      ...(redis ? { LIGHTBOX_REDIS_URL: TEST_REDIS_URL, LIGHTBOX_REDIS_PREFIX: prefix } : {}),
      LIGHTBOX_S3_BUCKET: 'lightbox-test',
      LIGHTBOX_S3_ENDPOINT: s3.endpoint,
      LIGHTBOX_S3_ACCESS_KEY_ID: 'S3RVER',
      LIGHTBOX_S3_SECRET_ACCESS_KEY: 'S3RVER',
      LIGHTBOX_S3_FORCE_PATH_STYLE: '1',
      LIGHTBOX_ADMIN_TOKEN: adminToken,
      LIGHTBOX_SECRET: randomBytes(32).toString('hex'),
      LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
      LIGHTBOX_CREDITS_PER_IMAGE: String(CREDITS_PER_IMAGE),
      // A dead worker's jobs come back after about this long.
      LIGHTBOX_JOB_LEASE_SECONDS: '3',
    };
    api = await startLightboxProcess('api', { ...env, LIGHTBOX_DATA_DIR: `/tmp/lightbox-crash-a-${run}` });
    store = await openPostgresStore(pg.url);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), ...workers.map((w) => w.stop())]);
    await store?.close();
    await Promise.all([pg?.drop(), s3?.close(), source?.close()]);
    if (redis) await deleteRedisPrefix(TEST_REDIS_URL, prefix);
  }, 60_000);

  const call = async (method: string, path: string, key: string, json?: unknown, headers = {}) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    return { status: response.status, body: await response.json() };
  };
  const startWorker = async () => {
    const worker = await startLightboxProcess('worker', {
      ...env,
      LIGHTBOX_DATA_DIR: `/tmp/lightbox-crash-w${workers.length}-${run}`,
    });
    workers.push(worker);
    return worker;
  };
  const itemsOf = (enhancementId: string) =>
    store.db
      .selectFrom('enhancement_items')
      .select(['id', 'status', 'attempts', 'credits_used'])
      .where('enhancement_id', '=', enhancementId)
      .execute();

  async function liveKey(): Promise<{ accountId: string; key: string }> {
    const account = (
      await call('POST', '/admin/v1/accounts', adminToken, {
        email: `${randomBytes(6).toString('hex')}@example.test`,
        email_verified: true,
      })
    ).body as { id: string };
    await call('POST', `/admin/v1/accounts/${account.id}/credits`, adminToken, {
      amount: 200,
      kind: 'purchased',
    });
    const key = (
      await call('POST', `/admin/v1/accounts/${account.id}/keys`, adminToken, { environment: 'live' })
    ).body.key as string;
    return { accountId: account.id, key };
  }

  async function waitTerminal(id: string, worker: LightboxProcess) {
    const finishBy = Date.now() + 90_000;
    let items = await itemsOf(id);
    while (items.some((i) => i.status !== 'completed' && i.status !== 'failed')) {
      expect(Date.now(), `batch not finished:\n${worker.output()}`).toBeLessThan(finishBy);
      await sleep(200);
      items = await itemsOf(id);
    }
    return items;
  }

  /** Charged exactly once per item: one reservation, one consumption per item, nothing released. */
  async function expectChargedOnce(accountId: string, id: string, items: number) {
    const ledger = await store.db
      .selectFrom('ledger_entries')
      .select(['type', 'amount'])
      .where('enhancement_id', '=', id)
      .execute();
    expect(ledger.filter((e) => e.type === 'reserve').map((e) => Number(e.amount))).toEqual([
      -items * CREDITS_PER_IMAGE,
    ]);
    expect(ledger.filter((e) => e.type === 'consume').map((e) => Number(e.amount))).toEqual(
      Array(items).fill(-CREDITS_PER_IMAGE),
    );
    expect(ledger.filter((e) => e.type === 'release')).toEqual([]);
    expect(await ledgerViolations(store.db, accountId)).toEqual([]);
  }

  it('every item ends terminal and is charged exactly once', async () => {
    const { accountId, key } = await liveKey();
    const account = { id: accountId };
    const first = await startWorker();
    const created = await call(
      'POST',
      '/api/v1/product-image-enhancements',
      key,
      { images: Array.from({ length: ITEMS }, (_, i) => ({ source_url: `${source.base}/p${i}.jpg` })) },
      { 'idempotency-key': `crash-${run}` },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.enhancement.id as string;

    // Killed once some items are done and others are still being processed.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const items = await itemsOf(id);
      const done = items.filter((i) => i.status === 'completed' || i.status === 'failed').length;
      if (done >= 1 && items.some((i) => i.status === 'processing')) break;
      expect(done, 'the batch finished before the worker could be killed').toBeLessThan(ITEMS);
      expect(Date.now(), `no progress:\n${first.output()}`).toBeLessThan(deadline);
      await sleep(25);
    }
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const atKill = await itemsOf(id);
    const interrupted = atKill.filter((i) => i.status === 'processing').map((i) => i.id);
    expect(interrupted.length).toBeGreaterThan(0);

    const second = await startWorker();
    const items = await waitTerminal(id, second);

    // Every item completed (the source never fails), the interrupted ones on a later start.
    expect(items.map((i) => i.status)).toEqual(Array(ITEMS).fill('completed'));
    for (const item of items.filter((i) => interrupted.includes(i.id)))
      expect(item.attempts).toBeGreaterThanOrEqual(2);
    const enhancement = await store.db
      .selectFrom('enhancements')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(enhancement).toMatchObject({
      status: 'completed',
      completed_items: ITEMS,
      failed_items: 0,
      credits_used: ITEMS * CREDITS_PER_IMAGE,
    });
    await expectChargedOnce(account.id, id, ITEMS);
    const balance = await store.db
      .selectFrom('accounts')
      .select(['paid_available', 'paid_reserved'])
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow();
    expect([Number(balance.paid_available), Number(balance.paid_reserved)]).toEqual([
      200 - ITEMS * CREDITS_PER_IMAGE,
      0,
    ]);
    // One result and one thumbnail per item: the killed attempts left no second set of media rows.
    const results = await store.db
      .selectFrom('media')
      .select('id')
      .where('account_id', '=', account.id)
      .execute();
    expect(results).toHaveLength(ITEMS * 2);
  }, 180_000);

  it('SIGTERM on a worker mid-item: it exits 0 within the grace period and another worker finishes the item', async () => {
    const { accountId, key } = await liveKey();
    // Only the worker under test may take the job.
    await Promise.all(workers.map((worker) => worker.stop()));
    const graceSeconds = 4;
    const draining = await startLightboxProcess('worker', {
      ...env,
      LIGHTBOX_DATA_DIR: `/tmp/lightbox-crash-drain-${run}`,
      LIGHTBOX_SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
      LIGHTBOX_LOG_LEVEL: 'info',
    });
    workers.push(draining);
    const created = await call(
      'POST',
      '/api/v1/product-image-enhancements',
      key,
      { images: [{ source_url: `${source.base}/slow/p.jpg` }] },
      { 'idempotency-key': `drain-${run}` },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.enhancement.id as string;
    // The item's download takes 6 s: longer than the grace period.
    const deadline = Date.now() + 30_000;
    while ((await itemsOf(id))[0]?.status !== 'processing') {
      expect(Date.now(), draining.output()).toBeLessThan(deadline);
      await sleep(25);
    }
    const signalledAt = Date.now();
    draining.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => draining.child.once('exit', resolve));
    expect(code, draining.output()).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan((graceSeconds + 3) * 1000);
    expect(draining.output()).toContain('"msg":"stopped"');
    expect((await itemsOf(id))[0]?.status).toBe('processing');

    const next = await startWorker();
    const items = await waitTerminal(id, next);
    expect(items.map((i) => i.status)).toEqual(['completed']);
    expect(items[0]?.attempts).toBe(2);
    await expectChargedOnce(accountId, id, 1);
  }, 120_000);
});
