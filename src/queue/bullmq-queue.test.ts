import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteRedisPrefix, redisKeysUnder, redisUrlWithDatabase } from '../../test/support/redis.ts';
import { createBullmqJobQueue } from './bullmq-queue.ts';
import { queueContract } from './queue.contract.ts';
import { jobSpec, QueueUnavailableError } from './queue.ts';

const REDIS_URL = process.env.LIGHTBOX_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Every key this file writes starts with it; afterAll deletes exactly those. */
const RUN_PREFIX = `lightbox-test-${randomBytes(4).toString('hex')}:`;

const urlWithDatabase = (db: number): string => redisUrlWithDatabase(REDIS_URL, db);
const keysUnder = redisKeysUnder;
const deleteKeysUnder = deleteRedisPrefix;

afterAll(async () => {
  await deleteKeysUnder(REDIS_URL, RUN_PREFIX);
  await deleteKeysUnder(urlWithDatabase(3), RUN_PREFIX);
});

queueContract('bullmq', async () => ({
  open: async (specs, tuning, space) =>
    createBullmqJobQueue(specs, {
      ...tuning,
      url: REDIS_URL,
      prefix: `${RUN_PREFIX}${space}:`,
      stalledIntervalMs: tuning.leaseMs,
      enqueueTimeoutMs: 1_000,
    }),
  close: async () => {},
}));

describe('bullmq queue specifics', () => {
  const job = jobSpec({ name: 'noop', payload: Type.Object({ n: Type.Number() }) });

  it('answers QueueUnavailableError quickly when Redis is down, instead of hanging', async () => {
    const queue = createBullmqJobQueue([job], {
      url: 'redis://127.0.0.1:1',
      prefix: `${RUN_PREFIX}down:`,
      enqueueTimeoutMs: 500,
    });
    const startedAt = Date.now();
    await expect(queue.enqueue(job, { n: 1 })).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(queue.ping()).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(Date.now() - startedAt).toBeLessThan(2_500);
    await queue.close();
  });

  it('honours the database number of the URL and keeps every key under the prefix', async () => {
    const prefix = `${RUN_PREFIX}db3:`;
    const url = urlWithDatabase(3);
    const queue = createBullmqJobQueue([job], { url, prefix });
    await queue.enqueue(job, { n: 1 }, { delayMs: 60_000 });
    await queue.close();
    const keys = await keysUnder(url, prefix);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith(`${prefix}jobs:`))).toBe(true);
    expect(await keysUnder(urlWithDatabase(0), prefix)).toEqual([]);
  });
});
