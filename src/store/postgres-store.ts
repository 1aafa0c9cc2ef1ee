import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import type { OpenStoreOptions, Store } from './store.ts';

const INT8_OID = 20;

export async function openPostgresStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Counters and instants are bigint columns holding values far below 2^53: read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as never,
    },
  });
  // An idle client whose connection dies (server restart, terminated backend) emits on the pool; without a listener
  // that is an uncaught exception. The pool drops the client and the next query opens a new one.
  pool.on('error', () => {});
  // A client checked out when its connection dies (server restart) emits 'error' too, and the pool listens only
  // while the client is idle: without this, a restart of PostgreSQL mid-query kills the process. The query in
  // flight still fails with the error, and the pool drops the dead client when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const migrate = () => migrateWithLock(db);
  if (options.migrate !== false) await migrate();
  return {
    db,
    transaction: (fn) => db.transaction().execute(fn),
    forUpdate: (query) => query.forUpdate(),
    isUniqueViolation: (error) =>
      typeof error === 'object' && error !== null && (error as { code?: string }).code === '23505',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    migrate,
    optimize: async () => {},
    close: () => db.destroy(),
  };
}

/** Several processes may start at once against one database: one migrates, the others wait for it. */
async function migrateWithLock(db: Kysely<Database>): Promise<string[]> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(726354)`.execute(conn);
    try {
      return await migrateToLatest(conn as Kysely<unknown>);
    } finally {
      await sql`select pg_advisory_unlock(726354)`.execute(conn);
    }
  });
}
