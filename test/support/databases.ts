import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DatabaseConfig } from '../../src/config/config.ts';
import { createPostgresDatabase } from './postgres.ts';

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

/** The database the HTTP suites run on: SQLite by default, PostgreSQL with LIGHTBOX_TEST_DATABASE=postgres. */
export const HTTP_SUITE_DIALECT: Dialect =
  process.env.LIGHTBOX_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

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
