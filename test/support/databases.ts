import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import type { DatabaseConfig } from '../../src/config/config.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createPostgresDatabase } from './postgres.ts';

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

/**
 * The profile the HTTP suites run on: `embedded` (SQLite, local disk, in-process queue and limiter) by default;
 * `scale-out` (PostgreSQL, Redis for queue and rate limits, S3 on s3rver) with LIGHTBOX_TEST_PROFILE=scale-out.
 */
export const TEST_PROFILE: 'embedded' | 'scale-out' =
  process.env.LIGHTBOX_TEST_PROFILE === 'scale-out' ? 'scale-out' : 'embedded';

/** The database the HTTP suites run on: PostgreSQL on the scale-out profile or with LIGHTBOX_TEST_DATABASE=postgres. */
export const HTTP_SUITE_DIALECT: Dialect =
  TEST_PROFILE === 'scale-out' || process.env.LIGHTBOX_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

/** The local Redis every machine of this project has; tests isolate themselves with a random key prefix. */
export const TEST_REDIS_URL = process.env.LIGHTBOX_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function scratchDatabase(
  dialect: Dialect,
): Promise<{ config: DatabaseConfig; drop: () => Promise<void> }> {
  if (dialect === 'postgres') {
    const db = await createPostgresDatabase();
    return { config: { kind: 'postgres', url: db.url }, drop: db.drop };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-sqlite-'));
  return {
    config: { kind: 'sqlite', file: path.join(dir, 'test.db') },
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `suite` once per dialect, each with a scratch store (migrated) open for its whole `describe` block. */
export function describeOnEachDialect(title: string, suite: (store: () => Store) => void): void {
  for (const dialect of DIALECTS) {
    describe(`${title} (${dialect})`, () => {
      let store: Store | undefined;
      let drop: (() => Promise<void>) | undefined;
      beforeAll(async () => {
        const db = await scratchDatabase(dialect);
        drop = db.drop;
        store = await openStore(db.config);
      });
      afterAll(async () => {
        await store?.close();
        await drop?.();
      });
      suite(() => {
        if (!store) throw new Error('the scratch store is not open yet');
        return store;
      });
    });
  }
}
