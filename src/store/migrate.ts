import { type Kysely, type MigrationResult, Migrator } from 'kysely';
import { migrations } from './migrations/index.ts';

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Applies every pending migration in order; returns the names applied (none when already at the latest). */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  return applied(await migrator(db).migrateToLatest());
}

/**
 * Applies migrations up to and including `name`, and no further: how a test builds a database as an earlier
 * release left it.
 */
export async function migrateTo(db: Kysely<unknown>, name: string): Promise<string[]> {
  if (!(name in migrations)) throw new Error(`no migration named ${JSON.stringify(name)}`);
  return applied(await migrator(db).migrateTo(name));
}

/** The migrations this release has that the database has not run yet, in the order they would run. */
export async function pendingMigrations(db: Kysely<unknown>): Promise<string[]> {
  const known = await migrator(db).getMigrations();
  return known.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** The last migration the database has run (undefined: none, an empty database). */
export async function migrationLevel(db: Kysely<unknown>): Promise<string | undefined> {
  const known = await migrator(db).getMigrations();
  return known.filter((m) => m.executedAt !== undefined).at(-1)?.name;
}

function applied(outcome: { error?: unknown; results?: MigrationResult[] }): string[] {
  const { error, results } = outcome;
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
