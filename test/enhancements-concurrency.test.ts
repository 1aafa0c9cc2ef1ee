// Concurrency and crashes (docs/api.md §3.2, §3.4, §4.4): concurrent duplicates make one enhancement, concurrent creates
// never overdraw the balance, and a worker that dies mid-item loses nothing and charges nothing twice.
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type AppJob, JOB_SPECS } from '../src/app/jobs.ts';
import { START_JOB } from '../src/enhancements/create-enhancement.ts';
import { ITEM_JOB } from '../src/enhancements/enhancement-jobs.ts';
import { createBullmqJobQueue } from '../src/queue/bullmq-queue.ts';
import type { JobHandlers, JobQueue } from '../src/queue/queue.ts';
import { createSqlJobQueue } from '../src/queue/sql-queue.ts';
import {
  batchOf,
  createBatch,
  credits,
  enhancementAccount,
  enhancementSuite,
  expectEnhancementError,
  imageInfo,
  LOOPBACK_SOURCES,
  ledgerOf,
  loadSrc,
  movements,
  newIdempotencyKey,
  postEnhancement,
  productPhoto,
  readEnhancement,
  type SourceServer,
  startSourceServer,
  storedEnhancements,
  waitForEnhancement,
} from './support/enhancement-fixtures.ts';
import { mintKey } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const books = enhancementSuite();
let sources: SourceServer;
let photo: Buffer;

beforeAll(async () => {
  photo = await productPhoto('jpeg');
  sources = await startSourceServer();
});

afterAll(async () => {
  await sources?.close();
});

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A server without a worker for the enclosing `describe` (its tests run workers themselves), closed after it. */
function idleServer(env: Record<string, string>): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(env, { worker: false });
  });
  afterAll(async () => {
    if (!server) return;
    books.forget(server);
    await server.close();
  });
  return () => {
    if (!server) throw new Error('the server starts in beforeAll');
    return server;
  };
}

describe('concurrent creates (no worker: batches stay queued)', () => {
  const server = idleServer({ LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_ACCOUNT: '100' });

  it('20 identical creates at once → one enhancement, one reservation, one 201 and 19 replays', async () => {
    const { accountId, key } = await enhancementAccount(server(), books);
    const idempotencyKey = newIdempotencyKey();
    const body = batchOf([`${sources.url}/a.jpg`, `${sources.url}/b.jpg`]);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => postEnhancement(server(), key, body, { idempotencyKey })),
    );

    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(19).fill(200), 201]);
    const [created] = responses.filter((r) => r.status === 201);
    expect(created?.headers.get('idempotent-replayed')).toBeNull();
    for (const replay of responses.filter((r) => r.status === 200)) {
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.text).toBe(created?.text);
      expect(replay.headers.get('location')).toBe(created?.headers.get('location'));
    }
    const id = created?.body.enhancement.id;

    const stored = await storedEnhancements(server(), accountId);
    expect(stored.map((e) => e.id)).toEqual([id]);
    const items = await server()
      .services.store.db.selectFrom('enhancement_items')
      .select('id')
      .where('enhancement_id', '=', id)
      .execute();
    expect(items).toHaveLength(2);
    if (!usesRedisQueue(server())) {
      const startJobs = await server()
        .services.store.db.selectFrom('jobs')
        .select('id')
        .where('name', '=', START_JOB.name)
        .where('dedupe_key', '=', id)
        .execute();
      expect(startJobs).toHaveLength(1);
    }
    expect(await movements(server(), accountId)).toEqual(['reserve:-10']);
    expect(await credits(server(), accountId)).toMatchObject({ paid_available: 190, paid_reserved: 10 });
  });

  /** Puts a create's idempotency record back in the state between its commit and its queued job. */
  async function markPending(accountId: string, idempotencyKey: string, createdAt: number) {
    await server()
      .services.store.db.updateTable('idempotency_records')
      .set({ response_status: 0, created_at: createdAt })
      .where('account_id', '=', accountId)
      .where('idempotency_key', '=', idempotencyKey)
      .execute();
  }

  it('a duplicate of a create still queueing its job waits for it, then replays it', async () => {
    const { accountId, key } = await enhancementAccount(server(), books);
    const idempotencyKey = newIdempotencyKey();
    const body = batchOf([`${sources.url}/a.jpg`]);
    const first = await postEnhancement(server(), key, body, { idempotencyKey });
    expect(first.status).toBe(201);
    await markPending(accountId, idempotencyKey, Date.now());

    const started = Date.now();
    const duplicate = postEnhancement(server(), key, body, { idempotencyKey });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The first request's enqueue returns: its record is confirmed.
    await server()
      .services.store.db.updateTable('idempotency_records')
      .set({ response_status: 201 })
      .where('account_id', '=', accountId)
      .where('idempotency_key', '=', idempotencyKey)
      .execute();
    const replay = await duplicate;
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    expect((await storedEnhancements(server(), accountId)).map((e) => e.id)).toEqual([
      first.body.enhancement.id,
    ]);
  });

  it('a duplicate of a create that died between its commit and its enqueue replays the batch (the sweep queues it)', async () => {
    const { accountId, key } = await enhancementAccount(server(), books);
    const idempotencyKey = newIdempotencyKey();
    const body = batchOf([`${sources.url}/a.jpg`]);
    const first = await postEnhancement(server(), key, body, { idempotencyKey });
    await markPending(accountId, idempotencyKey, Date.now() - 60_000);
    const replay = await postEnhancement(server(), key, body, { idempotencyKey });
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    // A different body under the same key is still a conflict, pending or not.
    await markPending(accountId, idempotencyKey, Date.now());
    const conflicting = await postEnhancement(server(), key, batchOf([`${sources.url}/b.jpg`]), {
      idempotencyKey,
    });
    expectEnhancementError(conflicting, 409, 'idempotency_conflict');
  });

  it('20 different creates at once, with credits for exactly 3 → three 201s, seventeen 402s, never negative', async () => {
    const { accountId } = await enhancementAccount(server(), books, { purchased: 300 });
    const keys = await Promise.all(
      Array.from({ length: 20 }, async () => (await mintKey(server(), accountId)).key),
    );
    const twenty = batchOf(Array.from({ length: 20 }, (_, i) => `${sources.url}/p${i}.jpg`));
    const responses = await Promise.all(keys.map((key) => postEnhancement(server(), key, twenty)));

    const accepted = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status !== 201);
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(17);
    for (const response of refused) expectEnhancementError(response, 402, 'insufficient_api_credits');
    // Each reservation saw the balance the previous one left.
    expect(accepted.map((r) => r.body.remaining_paid_credits).sort((a, b) => a - b)).toEqual([0, 100, 200]);
    expect(accepted.every((r) => r.body.enhancement.credits_reserved === 100)).toBe(true);

    expect(await storedEnhancements(server(), accountId)).toHaveLength(3);
    const ledger = await ledgerOf(server(), accountId);
    expect(ledger.filter((e) => e.type !== 'grant').map((e) => `${e.type}:${e.amount}`)).toEqual([
      'reserve:-100',
      'reserve:-100',
      'reserve:-100',
    ]);
    for (const entry of ledger) expect(entry.balance_after).toBeGreaterThanOrEqual(0);
    expect(await credits(server(), accountId)).toEqual({
      paid_available: 0,
      paid_reserved: 300,
      lifetime_purchased: 300,
      promotional: 0,
    });
  });
});

/** The scale-out profile (LIGHTBOX_TEST_PROFILE=scale-out) runs the BullMQ backend; the embedded one the SQL table. */
const usesRedisQueue = (server: TestServer): boolean => Boolean(server.services.config.redisUrl);

/**
 * Another worker on the server's queue backend. `leaseMs` is how soon its jobs come back once it is dead; a worker
 * that does real image work keeps the production lease, because the pipeline's pixel loops can hold the event loop
 * longer than a very short lease and its renewals would then come too late.
 */
function workerQueue(server: TestServer, leaseMs?: number): JobQueue<AppJob> {
  const { config, store } = server.services;
  const lease = leaseMs === undefined ? {} : { leaseMs };
  if (config.redisUrl) {
    return createBullmqJobQueue(JOB_SPECS, {
      ...lease,
      url: config.redisUrl,
      prefix: config.redisPrefix,
      stalledIntervalMs: 200,
    });
  }
  return createSqlJobQueue(store, JOB_SPECS, { ...lease, pollIntervalMs: 50 });
}

/**
 * The worker that takes over. On the embedded profile it is the server's own queue, production settings. BullMQ
 * finds a dead worker's jobs with a stalled-job check every `leaseMs` (30 s by default), so on the scale-out profile
 * it is a fresh worker of the same catalog and backend with a short check interval: a new worker process.
 */
function nextWorker(server: TestServer): { close(): Promise<void> } {
  if (!usesRedisQueue(server)) {
    server.services.queue.start({ concurrency: 2, handlers: server.services.jobHandlers });
    return { close: async () => {} };
  }
  const queue = workerQueue(server);
  queue.start({ concurrency: 2, handlers: server.services.jobHandlers });
  return {
    async close() {
      await queue.stop();
      await queue.close();
    },
  };
}

/**
 * A worker that dies mid-item, simulated as `queue.contract.ts` does: a second queue instance on the server's
 * backend takes the jobs and is `close()`d while its handlers hang, which abandons them exactly as a crash would
 * (no more lease renewals, no more writes). Its lease is short so the test does not wait 30 s for it to run out.
 */
function crashingWorker(server: TestServer, options: { detachSignal?: boolean } = {}) {
  const real = server.services.jobHandlers;
  const outcomes: unknown[] = [];
  const definition = real[ITEM_JOB.name];
  const handlers: JobHandlers<AppJob> = {
    ...real,
    [ITEM_JOB.name]: {
      ...definition,
      async handle(payload, ctx) {
        // detachSignal: a worker frozen past its lease that wakes up and carries on without ever noticing (its
        // abort signal never fires): the worst case for charging twice.
        const signal = options.detachSignal ? new AbortController().signal : ctx.signal;
        try {
          await definition.handle(payload, { ...ctx, signal });
          outcomes.push('ok');
        } catch (error) {
          outcomes.push(error);
          throw error;
        }
      },
    },
  };
  const queue = workerQueue(server, 500);
  queue.start({ concurrency: 4, handlers });
  return { queue, outcomes };
}

async function itemRows(server: TestServer, enhancementId: string) {
  const rows = await server.services.store.db
    .selectFrom('enhancement_items')
    .select(['id', 'status', 'attempts', 'result_media_id'])
    .where('enhancement_id', '=', enhancementId)
    .orderBy('position')
    .execute();
  return rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
}

describe('a worker killed mid-item', () => {
  const server = idleServer(LOOPBACK_SOURCES);

  it('the real worker takes the items over after the lease; each finishes once and is charged once', async () => {
    const { accountId, key } = await enhancementAccount(server(), books);
    // The first download of each source hangs (the worker dies while waiting for it); later ones are served.
    const held: { path: string; response: ServerResponse }[] = [];
    for (const path of ['/held-1.jpg', '/held-2.jpg']) {
      let first = true;
      sources.route(path, (_request, response) => {
        if (first) {
          first = false;
          held.push({ path, response });
          return;
        }
        response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length });
        response.end(photo);
      });
    }
    const created = await createBatch(
      server(),
      key,
      batchOf([`${sources.url}/held-1.jpg`, `${sources.url}/held-2.jpg`]),
    );
    const id = created.enhancement.id;

    // Worker A takes the batch and both items, and dies while downloading.
    const crashed = crashingWorker(server(), { detachSignal: true });
    await sources.waitForHits('/held-1.jpg');
    await sources.waitForHits('/held-2.jpg');
    expect((await itemRows(server(), id)).map((i) => [i.status, i.attempts])).toEqual([
      ['processing', 1],
      ['processing', 1],
    ]);
    expect((await readEnhancement(server(), key, id)).status).toBe('processing');
    await crashed.queue.close();

    // The server's own worker starts: it must wait out A's lease, then run both items again.
    const next = nextWorker(server());
    onTestFinished(() => next.close());
    const done = await waitForEnhancement(server(), key, id);
    expect(done).toMatchObject({
      status: 'completed',
      completed_items: 2,
      failed_items: 0,
      credits_used: 10,
    });
    const afterRecovery = await itemRows(server(), id);
    expect(afterRecovery.map((i) => [i.status, i.attempts])).toEqual([
      ['completed', 2],
      ['completed', 2],
    ]);
    for (const item of done.items) {
      expect(await imageInfo(await loadSrc(item.result_url ?? ''))).toMatchObject({ format: 'jpeg' });
    }
    expect(await movements(server(), accountId, id)).toEqual(['reserve:-10', 'consume:-5', 'consume:-5']);

    // A was only frozen: it wakes up, gets its downloads and carries on to the end. Nothing changes.
    for (const { response } of held) {
      response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length });
      response.end(photo);
    }
    await waitUntil('the frozen worker finished', () => crashed.outcomes.length === 2);
    expect(crashed.outcomes).toEqual(['ok', 'ok']);
    expect(await itemRows(server(), id)).toEqual(afterRecovery);
    expect(await readEnhancement(server(), key, id)).toEqual(done);
    expect(await movements(server(), accountId, id)).toEqual(['reserve:-10', 'consume:-5', 'consume:-5']);
    expect(await credits(server(), accountId)).toEqual({
      paid_available: 190,
      paid_reserved: 0,
      lifetime_purchased: 200,
      promotional: 0,
    });
    if (!usesRedisQueue(server())) {
      const leftover = await server()
        .services.store.db.selectFrom('jobs')
        .select(['name', 'status'])
        .execute();
      expect(leftover.filter((job) => job.name !== 'maintenance.sweep')).toEqual([]);
    }
  });
});

describe('a worker that lost its lease', () => {
  const server = idleServer(LOOPBACK_SOURCES);

  it('does not decide the item: its late download failure is dropped, the new owner completes the item', async () => {
    const { accountId, key } = await enhancementAccount(server(), books);
    const waiting: ServerResponse[] = [];
    sources.route('/contested.jpg', (_request, response) => {
      waiting.push(response);
    });
    const created = await createBatch(server(), key, batchOf([`${sources.url}/contested.jpg`]));
    const id = created.enhancement.id;

    const crashed = crashingWorker(server());
    await sources.waitForHits('/contested.jpg');
    await crashed.queue.close();
    const next = nextWorker(server());
    onTestFinished(() => next.close());
    await sources.waitForHits('/contested.jpg', 2);

    // The old attempt's download now fails (404): it must not fail the item and release its credits.
    const [stale, current] = waiting;
    stale?.writeHead(404, { 'content-type': 'text/plain' });
    stale?.end('gone');
    await waitUntil('the stale attempt ended', () => crashed.outcomes.length === 1);
    expect((crashed.outcomes[0] as Error).name).toBe('AbortError');
    expect((await itemRows(server(), id)).map((i) => i.status)).toEqual(['processing']);
    expect(await movements(server(), accountId, id)).toEqual(['reserve:-5']);

    current?.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length });
    current?.end(photo);
    const done = await waitForEnhancement(server(), key, id);
    expect(done.items[0]).toMatchObject({ status: 'completed', error_code: null, credits_used: 5 });
    expect(await movements(server(), accountId, id)).toEqual(['reserve:-5', 'consume:-5']);
  });
});

describe('an item that kills its worker on every attempt', () => {
  const server = idleServer(LOOPBACK_SOURCES);

  it('fails with provider_error once its attempts are spent; its credits are released once, the other item is charged', async () => {
    const { accountId, key } = await enhancementAccount(server(), books);
    // Never answered: every worker that downloads it is killed while waiting.
    sources.route('/deadly.jpg', () => {});
    // Small, so the first (short-lease) worker finishes it quickly, yet its 256 px product needs no more than
    // the 4× enlargement LIGHTBOX_ENHANCE_MAX_UPSCALE allows by default (3.3× on the 1000 px canvas).
    sources.serve('/fine.jpg', await productPhoto('jpeg', { width: 640, height: 480 }), 'image/jpeg');
    const created = await createBatch(
      server(),
      key,
      batchOf([`${sources.url}/deadly.jpg`, `${sources.url}/fine.jpg`]),
    );
    const id = created.enhancement.id;
    const deadly = async () => (await itemRows(server(), id))[0]?.attempts ?? 0;

    // Item jobs allow 4 starts; each of these workers dies during one of them.
    for (let attempt = 1; attempt <= 4; attempt++) {
      const crashed = crashingWorker(server());
      await waitUntil(`attempt ${attempt} started`, async () => (await deadly()) === attempt);
      // The first worker gets to finish the other item before it dies.
      if (attempt === 1)
        await waitUntil(
          'the fine item is done',
          async () => (await itemRows(server(), id))[1]?.status === 'completed',
        );
      await crashed.queue.close();
    }
    const next = nextWorker(server());
    onTestFinished(() => next.close());
    const done = await waitForEnhancement(server(), key, id);
    expect(done.status).toBe('partially_completed');
    expect(done.items[0]).toMatchObject({ status: 'failed', error_code: 'provider_error', credits_used: 0 });
    expect(done.items[1]).toMatchObject({ status: 'completed', credits_used: 5 });
    // The fifth start only runs onExhausted: the deadly item was not attempted again.
    expect(await deadly()).toBe(4);
    const moves = await movements(server(), accountId, id);
    expect(moves[0]).toBe('reserve:-10');
    expect(moves.slice(1).sort()).toEqual(['consume:-5', 'release:5']);
    expect(await credits(server(), accountId)).toMatchObject({ paid_available: 195, paid_reserved: 0 });
  });
});
