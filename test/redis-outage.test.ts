import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../src/credits/ledger.ts';
import { TEST_REDIS_URL } from './support/databases.ts';
import { createAccount, grantCredits, mintKey } from './support/fixtures.ts';
import { type RedisServer, startRedisServer } from './support/processes.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/**
 * Redis stops mid-run: limited routes fail closed with `rate_limit_unavailable`, a create whose job cannot be
 * queued answers `queue_unavailable` with its credits released, and both recover when Redis returns. A dedicated
 * redis-server is stopped, never the shared one other suites use.
 */
describe('Redis outage and recovery', () => {
  let redis: RedisServer;
  let source: Awaited<ReturnType<typeof startProductSource>>;
  /** Queue and rate limiter on the dedicated Redis. */
  let allOnRedis: TestServer;
  /** Queue on the dedicated Redis, rate limiter on the shared one: isolates the queue failure. */
  let queueOnRedis: TestServer;

  beforeAll(async () => {
    [redis, source] = await Promise.all([startRedisServer(), startProductSource()]);
    const common = {
      LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
      LIGHTBOX_REDIS_URL: redis.url,
      LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_KEY: '50',
      LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_ACCOUNT: '50',
    };
    allOnRedis = await startTestServer({ ...common, LIGHTBOX_REDIS_PREFIX: 'outage-a:' });
    queueOnRedis = await startTestServer({
      ...common,
      LIGHTBOX_REDIS_PREFIX: 'outage-b:',
      LIGHTBOX_RATE_LIMIT_REDIS_URL: TEST_REDIS_URL,
    });
  }, 60_000);

  afterAll(async () => {
    await redis.start().catch(() => {});
    await Promise.all([allOnRedis?.close(), queueOnRedis?.close()]);
    await redis.stop();
    await source.close();
  }, 60_000);

  async function liveKey(server: TestServer) {
    const account = await createAccount(server, { verified: true });
    await grantCredits(server, account.id, 200);
    return { account, key: (await mintKey(server, account.id)).key };
  }
  let n = 0;
  const create = (server: TestServer, key: string) =>
    server.request('POST', '/api/v1/product-image-enhancements', {
      key,
      headers: { 'idempotency-key': `outage-${++n}-${Date.now()}` },
      json: { images: [{ source_url: `${source.base}/ok.jpg` }, { source_url: `${source.base}/ok2.jpg` }] },
    });
  const waitForStatus = async (server: TestServer, key: string, id: string, status: string) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const g = await server.request('GET', `/api/v1/product-image-enhancements/${id}`, { key });
      if (g.body?.enhancement?.status === status) return g;
      if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(g.body)}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  };

  it('works, fails closed while Redis is down, and recovers when it returns', async () => {
    const a = await liveKey(allOnRedis);
    const b = await liveKey(queueOnRedis);
    const before = await create(queueOnRedis, b.key);
    expect(before.status).toBe(201);
    await waitForStatus(queueOnRedis, b.key, before.body.enhancement.id, 'completed');

    await redis.stop();

    // Rate-limited routes never let requests through unlimited.
    const limited = await create(allOnRedis, a.key);
    expect(limited.status).toBe(500);
    expect(limited.body).toEqual({
      error: {
        code: 'rate_limit_unavailable',
        message: expect.any(String),
        request_id: limited.headers.get('x-request-id'),
      },
    });
    const read = await allOnRedis.request('GET', '/api/v1/product-image-enhancements', { key: a.key });
    expect(read.status).toBe(500);
    expect(read.body.error.code).toBe('rate_limit_unavailable');

    // The job cannot be queued: 503, and the reservation made in the same request is released.
    const balanceBefore = (await queueOnRedis.admin('GET', `/admin/v1/accounts/${b.account.id}`)).body
      .credits;
    const unqueued = await create(queueOnRedis, b.key);
    expect(unqueued.status).toBe(503);
    expect(unqueued.body.error.code).toBe('queue_unavailable');
    const balanceAfter = (await queueOnRedis.admin('GET', `/admin/v1/accounts/${b.account.id}`)).body.credits;
    expect(balanceAfter).toEqual(balanceBefore);
    expect(await ledgerViolations(queueOnRedis.services.store.db, b.account.id)).toEqual([]);

    // Duplicates racing a create whose job cannot be queued: none may be told the batch exists (a replay of an
    // enhancement that is then undone). They wait for the first to settle, then are answered on their own.
    const duplicateKey = `outage-dup-${Date.now()}`;
    const duplicates = await Promise.all(
      Array.from({ length: 5 }, () =>
        queueOnRedis.request('POST', '/api/v1/product-image-enhancements', {
          key: b.key,
          headers: { 'idempotency-key': duplicateKey },
          json: { images: [{ source_url: `${source.base}/ok.jpg` }] },
        }),
      ),
    );
    expect(duplicates.map((r) => [r.status, r.body?.error?.code])).toEqual(
      Array.from({ length: 5 }, () => [503, 'queue_unavailable']),
    );
    expect((await queueOnRedis.admin('GET', `/admin/v1/accounts/${b.account.id}`)).body.credits).toEqual(
      balanceBefore,
    );
    const listed = await queueOnRedis.request('GET', '/api/v1/product-image-enhancements', { key: b.key });
    expect(listed.body.enhancements).toHaveLength(1);
    expect((await queueOnRedis.request('GET', '/readyz')).status).toBe(503);

    await redis.start();

    const deadline = Date.now() + 20_000;
    let again = await create(allOnRedis, a.key);
    while (again.status !== 201 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      again = await create(allOnRedis, a.key);
    }
    expect(again.status).toBe(201);
    await waitForStatus(allOnRedis, a.key, again.body.enhancement.id, 'completed');
    const recovered = await create(queueOnRedis, b.key);
    expect(recovered.status).toBe(201);
    await waitForStatus(queueOnRedis, b.key, recovered.body.enhancement.id, 'completed');
    expect((await queueOnRedis.request('GET', '/readyz')).status).toBe(200);
    expect(await ledgerViolations(allOnRedis.services.store.db, a.account.id)).toEqual([]);
    expect(await ledgerViolations(queueOnRedis.services.store.db, b.account.id)).toEqual([]);
  }, 120_000);
});
