import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/processes.ts';
import { deleteRedisPrefix, redisKeysUnder, redisUrlWithDatabase } from '../../test/support/redis.ts';
import { seededRandom } from '../lib/seeded-random.ts';
import { limiterContract } from './limiter.contract.ts';
import { LimiterUnavailableError, type RateLimiter } from './limiter.ts';
import { createMemoryLimiter } from './memory-limiter.ts';
import { createRedisLimiter } from './redis-limiter.ts';

const REDIS_URL = process.env.LIGHTBOX_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Every key this file writes on the shared server starts with it; afterAll deletes exactly those. */
const RUN_PREFIX = `lightbox-test-${randomBytes(4).toString('hex')}:`;
const OTHER_DB = 5;

const urlWithDatabase = (db: number): string => redisUrlWithDatabase(REDIS_URL, db);
const keysUnder = redisKeysUnder;
const deleteKeysUnder = deleteRedisPrefix;

async function withRedis<T>(url: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url);
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** A private, memory-only redis-server this file may stop, freeze and restart without disturbing anyone. */
async function startRedisServer(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    child.once('error', reject);
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

async function stopRedisServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** How long `promise` takes to settle, and whether it threw `LimiterUnavailableError`. */
async function timed(promise: Promise<unknown>): Promise<{ ms: number; unavailable: boolean }> {
  const startedAt = performance.now();
  try {
    await promise;
    return { ms: performance.now() - startedAt, unavailable: false };
  } catch (error) {
    return { ms: performance.now() - startedAt, unavailable: error instanceof LimiterUnavailableError };
  }
}

const rule = { limit: 5, periodMs: 3_600_000 };
const opened: RateLimiter[] = [];
const children: ChildProcess[] = [];

function open(url: string, prefix = `${RUN_PREFIX}specifics:`, timeoutMs = 300): RateLimiter {
  const limiter = createRedisLimiter({ url, prefix, timeoutMs });
  opened.push(limiter);
  return limiter;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.close()));
  await Promise.all(children.splice(0).map(stopRedisServer));
});

afterAll(async () => {
  await deleteKeysUnder(REDIS_URL, RUN_PREFIX);
  await deleteKeysUnder(urlWithDatabase(OTHER_DB), RUN_PREFIX);
});

limiterContract('redis', async () =>
  createRedisLimiter({ url: REDIS_URL, prefix: `${RUN_PREFIX}contract:` }),
);

describe('redis limiter specifics', () => {
  it('keeps its state at `<prefix>rl:<key>` with an expiry, so idle keys vanish', async () => {
    const prefix = `${RUN_PREFIX}layout:`;
    const limiter = open(REDIS_URL, prefix);
    await limiter.hit('alpha', rule, 1_700_000_000_000);
    await limiter.hit('beta', { limit: 2, periodMs: 150 }, Date.now());
    expect((await keysUnder(REDIS_URL, prefix)).sort()).toEqual([`${prefix}rl:alpha`, `${prefix}rl:beta`]);
    // One hit of 5 per hour: the state matters for exactly one emission interval.
    const ttl = await withRedis(REDIS_URL, (r) => r.pttl(`${prefix}rl:alpha`));
    expect(ttl).toBeGreaterThan(719_000);
    expect(ttl).toBeLessThanOrEqual(720_000);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await keysUnder(REDIS_URL, prefix)).toEqual([`${prefix}rl:alpha`]);
  });

  it('decides exactly like the in-process limiter, hit for hit', async () => {
    const redis = open(REDIS_URL);
    const memory = createMemoryLimiter();
    const random = seededRandom(20_240_601);
    const rules = [
      { limit: 7, periodMs: 1_000 },
      { limit: 3, periodMs: 10_000 },
      { limit: 13, periodMs: 60_000 },
      { limit: 1, periodMs: 250 },
    ];
    for (const [index, r] of rules.entries()) {
      const key = `same-${index}-${randomUUID()}`;
      const interval = r.periodMs / r.limit;
      let now = 1_700_000_000_000;
      for (let i = 0; i < 150; i++) {
        // Mostly bursts and waits around the emission interval; every fifth step lands on a fractional millisecond.
        const step = random() < 0.4 ? 0 : random() * 2 * interval;
        now += i % 5 === 0 ? step : Math.round(step);
        const expected = await memory.hit(key, r, now);
        expect({ i, now, decision: await redis.hit(key, r, now) }).toEqual({ i, now, decision: expected });
      }
    }
    await memory.close();
  });

  it('shares one budget between instances (processes): exactly `limit` of 20 concurrent hits pass', async () => {
    const a = open(REDIS_URL);
    const b = open(REDIS_URL);
    const key = `shared-${randomUUID()}`;
    const now = 1_700_000_000_000;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).hit(key, rule, now)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(rule.limit);
    expect((await a.hit(key, rule, now)).allowed).toBe(false);
  });

  it('honours the database number of the URL', async () => {
    const prefix = `${RUN_PREFIX}db:`;
    const limiter = open(urlWithDatabase(OTHER_DB), prefix);
    await limiter.hit('in-db', rule, 1_700_000_000_000);
    expect(await keysUnder(urlWithDatabase(OTHER_DB), prefix)).toEqual([`${prefix}rl:in-db`]);
    expect(await keysUnder(urlWithDatabase(0), prefix)).toEqual([]);
  });

  it('fails closed and fast when Redis is unreachable', async () => {
    const limiter = open(`redis://127.0.0.1:${await freePort()}`);
    for (let i = 0; i < 5; i++) {
      const outcome = await timed(limiter.hit(`down-${i}`, rule));
      expect(outcome.unavailable).toBe(true);
      expect(outcome.ms).toBeLessThan(1_000);
    }
  });

  it('fails closed while Redis hangs or is gone, and recovers by itself when it is back', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const first = await startRedisServer(port);
    children.push(first);
    const limiter = open(url);
    const key = `recover-${randomUUID()}`;
    const now = Date.now();
    expect((await limiter.hit(key, rule, now)).remaining).toBe(4);

    // A flushed script cache (as after a failover) is reloaded through EVAL.
    await withRedis(url, (r) => r.script('FLUSH'));
    expect((await limiter.hit(key, rule, now)).remaining).toBe(3);

    // A frozen server accepts the command and never answers: the command timeout bounds the wait.
    first.kill('SIGSTOP');
    try {
      const frozen = await timed(limiter.hit(key, rule, now));
      expect(frozen).toMatchObject({ unavailable: true });
      expect(frozen.ms).toBeLessThan(1_000);
    } finally {
      first.kill('SIGCONT');
    }

    await stopRedisServer(first);
    for (let i = 0; i < 3; i++) {
      const gone = await timed(limiter.hit(key, rule, now));
      expect(gone).toMatchObject({ unavailable: true });
      expect(gone.ms).toBeLessThan(1_000);
    }

    children.push(await startRedisServer(port));
    // The new server is empty (no data, no scripts); the limiter reconnects within its retry delay (≤ 1 s).
    const deadline = Date.now() + 5_000;
    let decision: Awaited<ReturnType<RateLimiter['hit']>> | undefined;
    while (decision === undefined && Date.now() < deadline) {
      try {
        decision = await limiter.hit(key, rule, now);
      } catch (error) {
        expect(error).toBeInstanceOf(LimiterUnavailableError);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(decision).toMatchObject({ allowed: true, remaining: 4 });
  });

  it('refuses hits after close', async () => {
    const limiter = open(REDIS_URL);
    await limiter.close();
    await expect(limiter.hit('closed', rule)).rejects.toBeInstanceOf(LimiterUnavailableError);
  });
});
