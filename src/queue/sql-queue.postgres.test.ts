import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../test/support/postgres.ts';
import { openPostgresStore } from '../store/postgres-store.ts';
import type { Store } from '../store/store.ts';
import { queueContract } from './queue.contract.ts';
import { claimJob, insertJob } from './sql-job-rows.ts';
import { createSqlJobQueue } from './sql-queue.ts';

// One store (its own connection pool) per instance, as separate worker processes would have: claims really race.
queueContract('sql on postgres', async () => {
  const database = await createPostgresDatabase();
  return {
    open: async (specs, tuning) => {
      const store = await openPostgresStore(database.url);
      const queue = createSqlJobQueue(store, specs, { ...tuning, pollIntervalMs: 20 });
      return {
        enqueue: (job, payload, opts) => queue.enqueue(job, payload, opts),
        start: (options) => queue.start(options),
        stop: () => queue.stop(),
        ping: () => queue.ping(),
        stats: () => queue.stats(),
        deadJobs: (limit) => queue.deadJobs(limit),
        close: async () => {
          await queue.close();
          await store.close();
        },
      };
    },
    close: () => database.drop(),
  };
});

describe('sql queue claims on postgres', () => {
  let database: { url: string; drop: () => Promise<void> };
  const stores: Store[] = [];
  beforeAll(async () => {
    database = await createPostgresDatabase();
    for (let i = 0; i < 6; i++) stores.push(await openPostgresStore(database.url));
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await database.drop();
  });

  it('gives a job to exactly one of many concurrent claimers, and an expired lease to exactly one too', async () => {
    const db = stores[0]!.db;
    for (let round = 0; round < 20; round++) {
      const now = Date.now();
      const id = await insertJob(db, {
        id: randomUUID(),
        name: 'race',
        payload: '{}',
        dedupe_key: null,
        max_attempts: 3,
        run_at: now,
        created_at: now,
        updated_at: now,
      });
      const claims = await Promise.all(
        stores.map((s) => claimJob(s.db, id, Date.now(), 60_000, randomUUID())),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      // The owner dies: its lease runs out.
      await db
        .updateTable('jobs')
        .set({ lease_until: Date.now() - 1 })
        .where('id', '=', id)
        .execute();
      const reclaims = await Promise.all(
        stores.map((s) => claimJob(s.db, id, Date.now(), 60_000, randomUUID())),
      );
      expect(reclaims.filter(Boolean).map((c) => c?.attempts)).toEqual([2]);
    }
  });
});
