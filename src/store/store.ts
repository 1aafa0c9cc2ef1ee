import type { Kysely, SelectQueryBuilder, Transaction } from 'kysely';
import type { Database } from './database.ts';

export type Tx = Transaction<Database>;
export type Db = Kysely<Database>;

/**
 * The SQL store port. Domain code writes its queries once with Kysely against `db`/`tx`; the backend (SQLite or
 * PostgreSQL) is chosen by the composition root and is invisible here.
 */
export interface Store {
  readonly db: Db;
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Takes a row lock for the rest of the transaction (PostgreSQL `FOR UPDATE`). SQLite has a single writer, so
   * there the query is left as it is; callers write the same code for both.
   */
  forUpdate<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** True when a unique-constraint violation is the cause of `error`. */
  isUniqueViolation(error: unknown): boolean;
  ping(): Promise<void>;
  /**
   * Keeps the planner's statistics current (SQLite `PRAGMA optimize`, run at open and by the maintenance sweep;
   * without statistics SQLite walks an account's whole list index for `ids=`). PostgreSQL's autovacuum analyses on
   * its own: there it does nothing.
   */
  optimize(): Promise<void>;
  /** Applies pending migrations (on PostgreSQL under an advisory lock); returns the names applied. */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

/** `migrate: false` opens the database as it is (`lightbox migrate --dry-run`, backups, upgrade tests). */
export interface OpenStoreOptions {
  migrate?: boolean;
}
