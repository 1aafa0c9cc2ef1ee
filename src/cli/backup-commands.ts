import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { openBlobs } from '../app/compose.ts';
import { DataDirInUse, LOCK_FILE, lockDataDir } from '../app/data-dir-lock.ts';
import { SECRET_FILES } from '../app/secrets.ts';
import { BackupError, type BackupManifest } from '../backup/backup-files.ts';
import { createBackup, type SecretFile } from '../backup/create-backup.ts';
import { restoreBackup } from '../backup/restore-backup.ts';
import type { Config } from '../config/config.ts';
import { settings } from '../config/settings.ts';
import { migrationLevel, pendingMigrations } from '../store/migrate.ts';
import { migrations } from '../store/migrations/index.ts';
import { openStore } from '../store/open-store.ts';
import { loadConfigOrExit, refuseToStart } from './cli-config.ts';

/** `lightbox backup <dir>`: a consistent copy of the data directory's database, originals and secrets. */
export async function runBackup(dir: string): Promise<void> {
  const config = loadConfigOrExit();
  // Beside a running server: its uploads' temp files are not ours to clean.
  const blobs = await openBlobs(config.blobs, path.join(config.dataDir, 'tmp'), { cleanTemp: false });
  let manifest: BackupManifest;
  try {
    manifest = await createBackup(
      {
        database: config.database,
        blobs,
        dataDir: config.dataDir,
        secrets: secretFiles(config),
        version: await version(),
      },
      path.resolve(dir),
    );
  } catch (error) {
    if (error instanceof BackupError) refuseToStart(error.message);
    throw error;
  } finally {
    await blobs.close?.();
  }
  const counts = Object.entries(manifest.counts)
    .map(([table, n]) => `${table} ${n}`)
    .join(', ');
  process.stdout.write(
    `Backup written to ${path.resolve(dir)} (migration ${manifest.migration.level ?? 'none'}): ${counts}; ` +
      `${manifest.blobs.count} originals, ${manifest.blobs.bytes} bytes` +
      (manifest.deleted_while_copying > 0
        ? `; ${manifest.deleted_while_copying} media deleted while copying left out`
        : '') +
      '\n',
  );
  for (const env of manifest.secrets.from_environment) {
    process.stdout.write(
      `${env} is set in the environment and is not in the backup: keep its value with the backup.\n`,
    );
  }
}

/** `lightbox restore <dir>` into the empty data directory of LIGHTBOX_DATA_DIR (held locked while it runs). */
export async function runRestore(dir: string): Promise<void> {
  const config = loadConfigOrExit();
  let lock: ReturnType<typeof lockDataDir>;
  try {
    lock = lockDataDir(config.dataDir);
  } catch (error) {
    if (error instanceof DataDirInUse) refuseToStart(error.message);
    throw error;
  }
  try {
    const { manifest, warnings } = await restoreBackup(path.resolve(dir), {
      database: config.database,
      openBlobs: () => openBlobs(config.blobs, path.join(config.dataDir, 'tmp')),
      dataDir: config.dataDir,
      secrets: secretFiles(config),
      ownFiles: [LOCK_FILE],
    });
    process.stdout.write(
      `Restored the backup of ${manifest.created_at} (Lightbox ${manifest.lightbox_version}, migration ${manifest.migration.level ?? 'none'}) into ${config.dataDir}: ` +
        `${manifest.counts.media ?? 0} media, ${manifest.counts.accounts ?? 0} accounts, ${manifest.blobs.count} originals.\n` +
        'Start the server (it applies any newer migrations), or run `lightbox migrate` first.\n',
    );
    for (const warning of warnings) process.stdout.write(`Warning: ${warning}\n`);
  } catch (error) {
    if (error instanceof BackupError) {
      lock.release();
      refuseToStart(error.message);
    }
    throw error;
  } finally {
    lock.release();
  }
}

/**
 * `lightbox migrate [--dry-run]`: lists the migrations the database has not run, and applies them without
 * starting the server. On SQLite the data directory must not be in use by a server (the lock says so); on
 * PostgreSQL migrations run under the same advisory lock as at server start.
 */
export async function runMigrate(dryRun: boolean): Promise<void> {
  const config = loadConfigOrExit();
  let release = () => {};
  if (!dryRun && config.database.kind === 'sqlite') {
    try {
      release = lockDataDir(config.dataDir).release;
    } catch (error) {
      if (error instanceof DataDirInUse)
        refuseToStart(`${error.message} (a server applies migrations itself when it starts)`);
      throw error;
    }
  }
  if (config.database.kind === 'sqlite' && dryRun && !existsSync(config.database.file)) {
    // Opening it would create it: say what the first start will do instead.
    process.stdout.write(
      `No database at ${config.database.file} yet; the first start (or lightbox migrate) applies all ${Object.keys(migrations).length} migrations\n`,
    );
    return;
  }
  const store = await openStore(config.database, { migrate: false });
  try {
    const db = store.db as Kysely<unknown>;
    const pending = await pendingMigrations(db);
    const level = (await migrationLevel(db)) ?? 'none (empty database)';
    if (dryRun) {
      process.stdout.write(
        `Database at ${level}; ${pending.length} pending migration(s)${pending.map((m) => `\n  ${m}`).join('')}\n`,
      );
      return;
    }
    const applied = await store.migrate();
    process.stdout.write(
      `Applied ${applied.length} migration(s)${applied.map((m) => `\n  ${m}`).join('')}\nDatabase at ${(await migrationLevel(db)) ?? level}\n`,
    );
  } finally {
    await store.close();
    release();
  }
}

function secretFiles(config: Readonly<Config>): SecretFile[] {
  return [
    {
      file: SECRET_FILES.adminToken,
      env: settings.adminToken.env,
      configured: config.adminToken !== undefined,
    },
    { file: SECRET_FILES.secret, env: settings.secret.env, configured: config.secret !== undefined },
  ];
}

async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
