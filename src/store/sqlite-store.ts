import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { Database } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { withStatementCache } from './sqlite-statement-cache.ts';
import type { OpenStoreOptions, Store } from './store.ts';

export async function openSqliteStore(file: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const migrate = () => migrateToLatest(db as Kysely<unknown>);
  if (options.migrate !== false) await migrate();
  // ANALYZE reads at most this many rows per index, so refreshing statistics stays milliseconds at any size.
  sqlite.pragma('analysis_limit = 1000');
  // At open: analyse every table whose statistics are missing or stale (0x10000), as SQLite advises for new
  // connections; the maintenance sweep repeats the plain form.
  sqlite.pragma('optimize = 0x10002');
  // The checkpoint a commit triggers runs synchronously, in front of every request waiting (better-sqlite3). At the
  // default 1 000 log pages each took 15–45 ms, every ninth transaction of a retention sweep of 10⁵ media (event
  // loop p99 32 ms); at 100 pages each is short (loop p99 17 ms; docs/decisions.md, issue 19).
  sqlite.pragma('wal_autocheckpoint = 100');
  return {
    db,
    // Kysely serialises transactions on the single better-sqlite3 connection, so each runs alone.
    transaction: (fn) => db.transaction().execute(fn),
    forUpdate: (query) => query,
    isUniqueViolation: (error) =>
      typeof error === 'object' &&
      error !== null &&
      (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    migrate,
    optimize: async () => {
      sqlite.pragma('optimize');
    },
    close: () => db.destroy(),
  };
}
