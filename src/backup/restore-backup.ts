import { createHash } from 'node:crypto';
import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../blobs/blobs.ts';
import { assertBlobKey } from '../blobs/blobs.ts';
import type { DatabaseConfig } from '../config/config.ts';
import {
  BackupError,
  type BackupManifest,
  BLOBS_DIR,
  copyPrivateFile,
  DATABASE_FILE,
  entriesOf,
  forEachLimited,
  fsync,
  makePrivateDir,
  parseChecksums,
  readManifest,
  SECRETS_DIR,
  sha256File,
} from './backup-files.ts';
import type { SecretFile } from './create-backup.ts';

export interface RestoreTarget {
  database: DatabaseConfig;
  /** Opened once the data directory is known to be empty (a filesystem store creates its directory). */
  openBlobs(): Promise<BlobStore & { close?(): Promise<void> }>;
  dataDir: string;
  secrets: readonly SecretFile[];
  /** Names the data directory may already hold: the restore's own lock file. */
  ownFiles: readonly string[];
}

export interface RestoreOutcome {
  manifest: BackupManifest;
  /** What the operator must do before starting the server (secrets to set), one sentence each. */
  warnings: string[];
}

const BLOB_PUTS_AT_ONCE = 4;

/**
 * `lightbox restore <dir>` into an empty data directory: every file is checked against the backup's checksums
 * before anything is written; then the originals go into the configured blob store, the secret files into the data
 * directory (0600), and the database last (written aside, then renamed), so a server started on the directory
 * finds the same media, ledger and keys — and the same secret, which signs links and `src` transforms. A database
 * from an earlier release is migrated when the server starts (or by `lightbox migrate`).
 */
export async function restoreBackup(dir: string, target: RestoreTarget): Promise<RestoreOutcome> {
  const database = target.database;
  if (database.kind !== 'sqlite' || database.file === ':memory:') {
    throw new BackupError(
      'lightbox restore writes a SQLite database: unset LIGHTBOX_DATABASE_URL (or point it at a sqlite: file)',
    );
  }
  const manifest = await readManifest(dir);
  const files = await verifiedFiles(dir, manifest);
  await assertEmptyTarget(target);

  const blobFiles = [...files].filter((file) => file.startsWith(`${BLOBS_DIR}/`));
  if (blobFiles.length !== manifest.blobs.count) {
    throw new BackupError(
      `the manifest counts ${manifest.blobs.count} blobs, the checksums list ${blobFiles.length}`,
    );
  }
  const blobs = await target.openBlobs();
  try {
    if ((await blobs.list('originals/')).length > 0) {
      throw new BackupError('the blob store already holds originals: restore into an empty bucket');
    }
    await forEachLimited(blobFiles, BLOB_PUTS_AT_ONCE, async (file) => {
      const key = file.slice(BLOBS_DIR.length + 1);
      assertBlobKey(key);
      await blobs.put(key, { file: path.join(dir, file) });
    });
  } finally {
    await blobs.close?.();
  }

  await makePrivateDir(target.dataDir);
  const warnings: string[] = [];
  for (const secret of target.secrets) {
    const inBackup = manifest.secrets.included.includes(secret.file);
    if (inBackup) {
      await copyPrivateFile(path.join(dir, SECRETS_DIR, secret.file), path.join(target.dataDir, secret.file));
      if (secret.configured) {
        warnings.push(
          `${secret.env} is set here and wins over the restored ${secret.file} file: unset it, or give it the backed-up server's value`,
        );
      }
    } else if (manifest.secrets.from_environment.includes(secret.env) && !secret.configured) {
      warnings.push(
        `${secret.env} was set in the backed-up server's environment and is not in the backup: set the same value before starting the server`,
      );
    }
  }

  const aside = `${database.file}.restoring`;
  await makePrivateDir(path.dirname(database.file));
  await rm(aside, { force: true });
  await copyPrivateFile(path.join(dir, DATABASE_FILE), aside);
  await rename(aside, database.file);
  await fsync(path.dirname(database.file));
  return { manifest, warnings };
}

/** Every file the checksums list, each matching; the manifest's database entry and the checksum file agree. */
async function verifiedFiles(dir: string, manifest: BackupManifest): Promise<Set<string>> {
  const text = await readFile(path.join(dir, manifest.checksums.file), 'utf8');
  if (createHash('sha256').update(text).digest('hex') !== manifest.checksums.sha256) {
    throw new BackupError(
      `${manifest.checksums.file} does not match the manifest: the backup was altered or damaged`,
    );
  }
  const checksums = parseChecksums(text);
  if (checksums.get(DATABASE_FILE) !== manifest.database.sha256) {
    throw new BackupError('the database checksum differs between the manifest and the checksum file');
  }
  const damaged: string[] = [];
  await forEachLimited([...checksums], BLOB_PUTS_AT_ONCE, async ([file, expected]) => {
    try {
      if ((await sha256File(path.join(dir, file))).sha256 !== expected) damaged.push(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      damaged.push(file);
    }
  });
  if (damaged.length > 0) {
    throw new BackupError(
      `${damaged.length} file(s) of the backup are missing or damaged (first: ${damaged.sort()[0]}); nothing was restored`,
    );
  }
  return new Set(checksums.keys());
}

/** Restoring over data would mix two histories: the data directory, the database file and the blob store must be empty. */
async function assertEmptyTarget(target: RestoreTarget): Promise<void> {
  const present = (await entriesOf(target.dataDir)).filter((name) => !target.ownFiles.includes(name));
  if (present.length > 0) {
    throw new BackupError(
      `the data directory ${target.dataDir} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}): restore into an empty one`,
    );
  }
  if (
    target.database.kind === 'sqlite' &&
    (await entriesOf(path.dirname(target.database.file))).includes(path.basename(target.database.file))
  ) {
    throw new BackupError(
      `the database file ${target.database.file} exists: restore into an empty data directory`,
    );
  }
}
