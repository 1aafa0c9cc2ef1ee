import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { queueContract } from './queue.contract.ts';
import { jobSpec, QueueUnavailableError } from './queue.ts';
import { createSqlJobQueue } from './sql-queue.ts';

// One store for every instance, as in the embedded profile: instances also wake each other up in-process.
queueContract('sql on sqlite', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-queue-'));
  const store = await openSqliteStore(path.join(dir, 'db.sqlite'));
  return {
    open: async (specs, tuning) => createSqlJobQueue(store, specs, { ...tuning, pollIntervalMs: 20 }),
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('sql queue specifics (sqlite)', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lightbox-queue-'));
    store = await openSqliteStore(path.join(dir, 'db.sqlite'));
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const job = jobSpec({ name: 'always-fails', payload: Type.Object({ n: Type.Number() }), maxAttempts: 2 });
  const handlers = {
    [job.name]: {
      handle: async () => {
        throw new Error('broken');
      },
    },
  };

  it('keeps a dead job for inspection, without lease, with its last error', async () => {
    const queue = createSqlJobQueue(store, [job], {
      pollIntervalMs: 20,
      retry: { baseMs: 10 },
    });
    const { id } = await queue.enqueue(job, { n: 1 });
    queue.start({ concurrency: 1, handlers });
    let row = await store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    for (let i = 0; i < 200 && row.status !== 'dead'; i++) {
      await sleep(10);
      row = await store.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    }
    await queue.stop();
    await queue.close();
    expect(row).toMatchObject({
      status: 'dead',
      attempts: 2,
      max_attempts: 2,
      last_error: 'Error: broken',
      lease_until: null,
      lease_token: null,
      payload: '{"n":1}',
    });
  });

  it('answers QueueUnavailableError when the store cannot take the job', async () => {
    const broken = await openSqliteStore(path.join(dir, 'other.sqlite'));
    await broken.close();
    const queue = createSqlJobQueue(broken, [job]);
    await expect(queue.enqueue(job, { n: 1 })).rejects.toBeInstanceOf(QueueUnavailableError);
    await expect(queue.ping()).rejects.toBeInstanceOf(QueueUnavailableError);
  });
});
