import type { Database as BetterSqlite, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * better-sqlite3 behind Kysely with prepared statements reused by SQL text. Kysely's SQLite driver prepares every
 * query anew; preparing costs about three times what running an indexed lookup does (measured: 14.7 µs vs
 * 4.6 µs), and the delivery hot path runs one lookup per request. Bounded (least recently used out), since
 * queries with IN lists of varying length each have their own text.
 */
export function withStatementCache(sqlite: BetterSqlite, maxStatements = 256): SqliteDatabase {
  const statements = new Map<string, Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = statements.get(sql);
      // A statement still being iterated (an unfinished stream) cannot run again; such a caller gets its own.
      if (cached && !cached.busy) {
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      if (cached) return statement;
      statements.set(sql, statement);
      if (statements.size > maxStatements) {
        const oldest = statements.keys().next();
        if (!oldest.done) statements.delete(oldest.value);
      }
      return statement;
    },
  };
}
