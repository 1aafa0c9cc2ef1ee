import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3BlobStore } from '../src/blobs/s3-blobs.ts';
import { ledgerViolations } from '../src/credits/ledger.ts';
import { openPostgresStore } from '../src/store/postgres-store.ts';
import type { Store } from '../src/store/store.ts';
import { TEST_PROFILE } from './support/databases.ts';
import { startRestartableS3rver } from './support/fake-s3.ts';
import { type PrivatePostgres, startPrivatePostgres } from './support/private-postgres.ts';
import {
  type LightboxProcess,
  type RedisServer,
  startLightboxProcess,
  startRedisServer,
} from './support/processes.ts';
import { startProductSource } from './support/product-source.ts';

const BUCKET = 'lightbox-chaos';
const CREDITS_PER_IMAGE = 5;
const TERMINAL = ['completed', 'partially_completed', 'failed'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min));

/**
 * Chaos on the scale-out profile, with backends of this test alone, each stopped and started: a private PostgreSQL
 * cluster (initdb + pg_ctl on its own port: the machine's shared PostgreSQL is never restarted), a private
 * redis-server (append-only file, as a queue's Redis is run) and an s3rver. Two API processes and a worker
 * process are killed with SIGKILL at random points while batches run. Afterwards every item is terminal, charged or released exactly once, each account's
 * balances equal the sum of its ledger entries, and the bucket holds no blob that no row owns.
 */
describe.skipIf(TEST_PROFILE !== 'scale-out')(
  'chaos (scale-out): kill -9, PostgreSQL and Redis restarts, S3 outage',
  () => {
    const adminToken = `lbadm_${randomBytes(18).toString('base64url')}`;
    let postgres: PrivatePostgres | null;
    let redis: RedisServer;
    let s3: Awaited<ReturnType<typeof startRestartableS3rver>>;
    let source: Awaited<ReturnType<typeof startProductSource>>;
    let store: Store;
    let env: Record<string, string>;
    const apis: LightboxProcess[] = [];
    let worker: LightboxProcess;
    const dataDirs: string[] = [];
    const runId = randomBytes(4).toString('hex');

    const startProcess = (role: 'api' | 'worker') => {
      const dataDir = path.join(tmpdir(), `lightbox-chaos-${runId}-${dataDirs.length}`);
      dataDirs.push(dataDir);
      return startLightboxProcess(role, { ...env, LIGHTBOX_DATA_DIR: dataDir });
    };

    beforeAll(async () => {
      postgres = await startPrivatePostgres();
      if (!postgres) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are not installed');
      const admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
      await admin.query('create database lightbox');
      await admin.end();
      const redisDir = path.join(tmpdir(), `lightbox-chaos-${runId}-redis`);
      dataDirs.push(redisDir);
      await mkdir(redisDir, { recursive: true });
      // One after the other: each takes a free port, which is only taken once its server listens.
      redis = await startRedisServer({ persistent: { dir: redisDir } });
      s3 = await startRestartableS3rver(BUCKET);
      source = await startProductSource();
      env = {
        LIGHTBOX_DATABASE_URL: postgres.url.replace(/\/postgres$/, '/lightbox'),
        LIGHTBOX_REDIS_URL: redis.url,
        LIGHTBOX_REDIS_PREFIX: 'chaos:',
        LIGHTBOX_S3_BUCKET: BUCKET,
        LIGHTBOX_S3_ENDPOINT: s3.endpoint,
        LIGHTBOX_S3_ACCESS_KEY_ID: 'S3RVER',
        LIGHTBOX_S3_SECRET_ACCESS_KEY: 'S3RVER',
        LIGHTBOX_S3_FORCE_PATH_STYLE: '1',
        LIGHTBOX_ADMIN_TOKEN: adminToken,
        LIGHTBOX_SECRET: randomBytes(32).toString('hex'),
        LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
        LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_KEY: '1000',
        LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_ACCOUNT: '1000',
        LIGHTBOX_ENHANCEMENT_CREATES_PER_MINUTE: '100000',
        LIGHTBOX_ENHANCEMENT_READS_PER_MINUTE: '100000',
        LIGHTBOX_SWEEP_INTERVAL_SECONDS: '5',
        // A killed worker's jobs run again after this: short, so the rounds fit in CI's time.
        LIGHTBOX_JOB_LEASE_SECONDS: '5',
      };
      apis.push(await startProcess('api'));
      [apis[1] as LightboxProcess, worker] = await Promise.all([startProcess('api'), startProcess('worker')]);
      store = await openPostgresStore(env.LIGHTBOX_DATABASE_URL as string);
    }, 120_000);

    afterAll(async () => {
      await Promise.all([...apis, worker].map((p) => p?.stop()));
      await store?.close();
      await Promise.all([postgres?.close(), redis?.stop(), s3?.close(), source?.close()]);
      await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    }, 60_000);

    /**
     * A client that goes on when a process dies under it: each call tries the API processes in turn until one
     * answers (a create is retried with the same Idempotency-Key, as a client should) or `patienceMs` is over.
     */
    async function call(
      method: string,
      path: string,
      init: { key?: string; json?: unknown; headers?: Record<string, string>; patienceMs?: number } = {},
    ): Promise<{ status: number; body: { [key: string]: unknown } }> {
      const deadline = Date.now() + (init.patienceMs ?? 30_000);
      for (let attempt = 0; ; attempt++) {
        const api = apis[attempt % apis.length] as LightboxProcess;
        try {
          const response = await fetch(`${api.url}${path}`, {
            method,
            headers: {
              ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
              ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
              ...init.headers,
            },
            ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
            signal: AbortSignal.timeout(15_000),
          });
          const text = await response.text();
          if (response.status < 500 || Date.now() > deadline) {
            return { status: response.status, body: text ? JSON.parse(text) : {} };
          }
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
        await sleep(200);
      }
    }

    async function liveAccount(credits: number): Promise<{ id: string; key: string }> {
      const account = await call('POST', '/admin/v1/accounts', {
        key: adminToken,
        json: { email: `${randomBytes(6).toString('hex')}@example.test`, email_verified: true },
      });
      const id = account.body.id as string;
      await call('POST', `/admin/v1/accounts/${id}/credits`, {
        key: adminToken,
        json: { amount: credits, kind: 'purchased' },
      });
      const key = await call('POST', `/admin/v1/accounts/${id}/keys`, {
        key: adminToken,
        json: { environment: 'live' },
      });
      return { id, key: key.body.key as string };
    }

    /** Creates a batch of `items` images and returns its id; survives the death of the API it was sent to. */
    async function createBatch(key: string, items: number): Promise<string> {
      const idempotencyKey = `chaos-${randomBytes(8).toString('hex')}`;
      const images = Array.from({ length: items }, (_, i) => ({ source_url: `${source.base}/p${i}.jpg` }));
      const response = await call('POST', '/api/v1/product-image-enhancements', {
        key,
        json: { images },
        headers: { 'idempotency-key': idempotencyKey },
      });
      expect([200, 201], JSON.stringify(response.body)).toContain(response.status);
      return (response.body.enhancement as { id: string }).id;
    }

    async function waitUntilTerminal(ids: string[], timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const rows = await store.db
          .selectFrom('enhancements')
          .select(['id', 'status'])
          .where('id', 'in', ids)
          .execute()
          .catch(() => []);
        if (rows.length === ids.length && rows.every((r) => TERMINAL.includes(r.status))) return;
        if (Date.now() > deadline) {
          const open = rows.filter((r) => !TERMINAL.includes(r.status)).map((r) => `${r.id} ${r.status}`);
          throw new Error(
            `batches not terminal in time: ${open.join(', ')}\n${worker.output().slice(-3000)}`,
          );
        }
        await sleep(500);
      }
    }

    /** Each item terminal and charged (completed) or released (failed) exactly once; balances = ledger sums. */
    async function expectBooksBalanced(accountId: string, ids: string[]): Promise<void> {
      expect(await ledgerViolations(store.db, accountId)).toEqual([]);
      const account = await store.db
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', accountId)
        .executeTakeFirstOrThrow();
      expect(account.paid_reserved).toBe(0);
      for (const id of ids) {
        const items = await store.db
          .selectFrom('enhancement_items')
          .selectAll()
          .where('enhancement_id', '=', id)
          .execute();
        const entries = await store.db
          .selectFrom('ledger_entries')
          .selectAll()
          .where('enhancement_id', '=', id)
          .execute();
        const completed = items.filter((i) => i.status === 'completed').length;
        const failed = items.filter((i) => i.status === 'failed').length;
        expect(completed + failed, `${id}: every item terminal`).toBe(items.length);
        const of = (type: string) => entries.filter((e) => e.type === type);
        expect(
          of('reserve').map((e) => e.amount),
          `${id}: one reservation`,
        ).toEqual([-CREDITS_PER_IMAGE * items.length]);
        expect(of('consume').length, `${id}: each completed item charged once`).toBe(completed);
        expect(of('release').length, `${id}: each failed item released once`).toBe(failed);
        expect(of('consume').every((e) => e.amount === -CREDITS_PER_IMAGE)).toBe(true);
        expect(of('release').every((e) => e.amount === CREDITS_PER_IMAGE)).toBe(true);
        const enhancement = await store.db
          .selectFrom('enhancements')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        expect([enhancement.completed_items, enhancement.failed_items, enhancement.credits_used]).toEqual([
          completed,
          failed,
          CREDITS_PER_IMAGE * completed,
        ]);
      }
    }

    /** The bucket against the rows: every media row's original exists; every original is owned or owed. */
    async function expectNoOrphanBlobs(): Promise<void> {
      const blobs = createS3BlobStore({
        bucket: BUCKET,
        region: 'us-east-1',
        forcePathStyle: true,
        endpoint: s3.endpoint,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
      });
      try {
        const stored = new Set(await blobs.list('originals/'));
        const owned = new Set(
          (await store.db.selectFrom('media').select('blob_key').execute()).map((r) => r.blob_key),
        );
        // Written before a crash could stop its row: announced first, so the sweeper deletes it once due.
        const owed = new Set(
          (await store.db.selectFrom('blob_garbage').select('blob_key').execute()).map((r) => r.blob_key),
        );
        expect(
          [...owned].filter((key) => !stored.has(key)),
          'rows whose blob is missing',
        ).toEqual([]);
        expect(
          [...stored].filter((key) => !owned.has(key) && !owed.has(key)),
          'orphan blobs',
        ).toEqual([]);
        expect(owned.size).toBeGreaterThan(0);
      } finally {
        await blobs.close();
      }
    }

    /** Nothing above may have killed a process: backends that go away are waited for, not fatal. */
    function expectAllAlive(): void {
      for (const process of [...apis, worker]) {
        expect(process.child.exitCode, process.output().slice(-2000)).toBeNull();
        expect(process.child.signalCode).toBeNull();
      }
    }

    async function kill(process: LightboxProcess): Promise<void> {
      const exited = new Promise((resolve) => process.child.once('exit', resolve));
      process.child.kill('SIGKILL');
      await exited;
    }

    it('kill -9 of API and worker processes at random points: every item terminal, charged or released once, no orphan blob', async () => {
      const account = await liveAccount(100_000);
      const ids: string[] = [];
      for (let round = 0; round < 3; round++) {
        const victim = round % 2;
        ids.push(...(await Promise.all([createBatch(account.key, 2), createBatch(account.key, 3)])));
        // More creates in flight while the processes die: some are cut off and retried on the other API.
        const inFlight = Promise.all([createBatch(account.key, 2), createBatch(account.key, 1)]);
        await sleep(between(100, 2_500));
        await Promise.all([kill(worker), kill(apis[victim] as LightboxProcess)]);
        ids.push(...(await inFlight));
        [worker, apis[victim]] = await Promise.all([startProcess('worker'), startProcess('api')]);
      }
      // A worker's jobs come back once their lease (30 s) runs out.
      await waitUntilTerminal(ids, 150_000);
      await expectBooksBalanced(account.id, ids);
      await expectNoOrphanBlobs();
      const completed = await store.db
        .selectFrom('enhancement_items')
        .select('id')
        .where('status', '=', 'completed')
        .execute();
      expect(completed.length).toBeGreaterThan(0);
    }, 240_000);

    it('PostgreSQL restarted mid-run: the batches finish and the books balance', async () => {
      const account = await liveAccount(10_000);
      const ids = await Promise.all([createBatch(account.key, 3), createBatch(account.key, 2)]);
      await sleep(between(200, 1_500));
      await postgres?.stop();
      await sleep(3_000);
      await postgres?.start();
      ids.push(await createBatch(account.key, 2));
      await waitUntilTerminal(ids, 120_000);
      await expectBooksBalanced(account.id, ids);
      await expectNoOrphanBlobs();
      expectAllAlive();
    }, 180_000);

    it('Redis restarted mid-run (append-only file): the processes reconnect and the batches finish', async () => {
      const account = await liveAccount(10_000);
      const ids = await Promise.all([createBatch(account.key, 3), createBatch(account.key, 2)]);
      await sleep(between(200, 1_500));
      await redis.stop();
      await sleep(2_000);
      await redis.start();
      ids.push(await createBatch(account.key, 2));
      await waitUntilTerminal(ids, 120_000);
      await expectBooksBalanced(account.id, ids);
      await expectNoOrphanBlobs();
      expectAllAlive();
    }, 180_000);

    it('S3 down: items fail with storage_error and their credits are released; after it returns, batches complete', async () => {
      const account = await liveAccount(1_000);
      await s3.stop();
      const down = await createBatch(account.key, 2);
      await waitUntilTerminal([down], 60_000);
      const items = await store.db
        .selectFrom('enhancement_items')
        .selectAll()
        .where('enhancement_id', '=', down)
        .execute();
      expect(items.map((i) => [i.status, i.error_code])).toEqual([
        ['failed', 'storage_error'],
        ['failed', 'storage_error'],
      ]);
      await expectBooksBalanced(account.id, [down]);
      const read = await call('GET', `/admin/v1/accounts/${account.id}`, { key: adminToken });
      expect(read.body.credits).toMatchObject({ paid_available: 1_000, paid_reserved: 0 });

      await s3.start();
      const up = await createBatch(account.key, 2);
      await waitUntilTerminal([up], 60_000);
      const after = await store.db
        .selectFrom('enhancements')
        .selectAll()
        .where('id', '=', up)
        .executeTakeFirstOrThrow();
      expect(after.status).toBe('completed');
      await expectBooksBalanced(account.id, [down, up]);
      await expectNoOrphanBlobs();
      expectAllAlive();
    }, 150_000);
  },
);
