import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { assertBlobKey, type BlobStore } from '../blobs/blobs.ts';
import type { DatabaseConfig } from '../config/config.ts';
import { deleteCountedRow } from '../media/media-repo.ts';
import { migrationLevel } from '../store/migrate.ts';
import { migrations } from '../store/migrations/index.ts';
import { openStore } from '../store/open-store.ts';
import { copyLiveSqlite } from '../store/sqlite-backup.ts';
import type { Store } from '../store/store.ts';
import {
  BACKUP_FORMAT,
  BackupError,
  type BackupManifest,
  BLOBS_DIR,
  CHECKSUMS_FILE,
  copyPrivateFile,
  DATABASE_FILE,
  entriesOf,
  forEachLimited,
  formatChecksums,
  fsync,
  MANIFEST_FILE,
  makePrivateDir,
  PRIVATE_DIR,
  PRIVATE_FILE,
  SECRETS_DIR,
  sha256File,
  writeDurable,
} from './backup-files.ts';

/** A secret the server keeps in its data directory unless it is set in the environment. */
export interface SecretFile {
  /** File name in the data directory. */
  file: string;
  /** The setting that replaces it. */
  env: string;
  /** Set in this process's environment (then the file, if any, is not what the server uses). */
  configured: boolean;
}

export interface BackupSource {
  database: DatabaseConfig;
  blobs: BlobStore;
  dataDir: string;
  secrets: readonly SecretFile[];
  version: string;
}

/** Tables whose row counts the manifest records (and a restore reports). */
const COUNTED_TABLES = [
  'accounts',
  'api_keys',
  'ledger_entries',
  'media',
  'enhancements',
  'enhancement_items',
  'webhook_events',
  'jobs',
] as const;

const BLOB_COPIES_AT_ONCE = 4;

/**
 * `lightbox backup <dir>` while the server serves: first a snapshot of the database (SQLite online backup), then
 * every original that snapshot references. Originals are written before their row and never change afterwards;
 * only a delete removes them, so the pair is consistent: each row of the snapshot finds its blob, except a media
 * deleted between the two steps, which is then left out as if deleted just before the snapshot. Renditions and
 * pyramid levels are caches: their rows are emptied in the copy and the restored server renders them again.
 */
export async function createBackup(source: BackupSource, dir: string): Promise<BackupManifest> {
  try {
    return await writeBackup(source, dir);
  } catch (error) {
    // Half a backup must not pass for one: nothing stays behind (the directory was empty or absent).
    if (!(error instanceof RefusedBeforeWriting)) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Refused before anything was written: there is nothing of ours to remove. */
class RefusedBeforeWriting extends BackupError {}

async function writeBackup(source: BackupSource, dir: string): Promise<BackupManifest> {
  if (source.database.kind !== 'sqlite' || source.database.file === ':memory:') {
    throw new BackupError(
      'lightbox backup copies the embedded profile (SQLite). With PostgreSQL, back up the database with pg_dump or continuous archiving and the bucket with versioning or replication: see docs/backups.md',
    );
  }
  if ((await entriesOf(dir)).length > 0) {
    throw new RefusedBeforeWriting(`${dir} is not empty: back up into a new directory`);
  }
  const exists = await stat(source.database.file).then(
    () => true,
    () => false,
  );
  if (!exists) throw new RefusedBeforeWriting(`no database at ${source.database.file}: nothing to back up`);
  await makePrivateDir(dir);

  const databaseFile = path.join(dir, DATABASE_FILE);
  const partial = `${databaseFile}.partial`;
  await copyLiveSqlite(source.database.file, partial);

  const copy = await openStore({ kind: 'sqlite', file: partial }, { migrate: false });
  const live = await openStore(source.database, { migrate: false });
  const checksums = new Map<string, string>();
  let blobCount = 0;
  let blobBytes = 0;
  let deleted = 0;
  const missing: string[] = [];
  let counts: Record<string, number>;
  let level: string | undefined;
  try {
    await emptyCaches(copy);
    const media = await copy.db.selectFrom('media').select(['id', 'blob_key']).orderBy('id').execute();
    await forEachLimited(media, BLOB_COPIES_AT_ONCE, async ({ id, blob_key: key }) => {
      assertBlobKey(key);
      const stream = await source.blobs.get(key);
      if (!stream) {
        const stillThere = await live.db
          .selectFrom('media')
          .select('id')
          .where('id', '=', id)
          .executeTakeFirst();
        if (stillThere) {
          missing.push(key);
        } else {
          await copy.transaction((tx) => deleteCountedRow(tx, id));
          deleted++;
        }
        return;
      }
      const relative = `${BLOBS_DIR}/${key}`;
      const written = await writeHashed(stream, path.join(dir, relative));
      checksums.set(relative, written.sha256);
      blobCount++;
      blobBytes += written.bytes;
    });
    if (missing.length > 0) {
      throw new BackupError(
        `${missing.length} original(s) referenced by the database are missing from the blob store (first: ${missing[0]}); the backup was not completed`,
      );
    }
    counts = await countRows(copy);
    level = await migrationLevel(copy.db as Kysely<unknown>);
  } finally {
    await copy.close();
    await live.close();
  }
  await rename(partial, databaseFile);
  await chmod(databaseFile, PRIVATE_FILE);
  const database = await sha256File(databaseFile);
  checksums.set(DATABASE_FILE, database.sha256);

  const included: string[] = [];
  const fromEnvironment: string[] = [];
  for (const secret of source.secrets) {
    if (secret.configured) {
      fromEnvironment.push(secret.env);
      continue;
    }
    const from = path.join(source.dataDir, secret.file);
    const relative = `${SECRETS_DIR}/${secret.file}`;
    await makePrivateDir(path.join(dir, SECRETS_DIR));
    try {
      await copyPrivateFile(from, path.join(dir, relative));
    } catch (error) {
      // Never generated: the server was never started on this directory.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    included.push(secret.file);
    checksums.set(relative, (await sha256File(path.join(dir, relative))).sha256);
  }

  const checksumText = formatChecksums(checksums);
  await writeDurable(path.join(dir, CHECKSUMS_FILE), checksumText);
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    lightbox_version: source.version,
    created_at: new Date().toISOString(),
    migration: { level: level ?? null, known: Object.keys(migrations) },
    database: { file: DATABASE_FILE, bytes: database.bytes, sha256: database.sha256 },
    counts,
    blobs: { count: blobCount, bytes: blobBytes },
    secrets: { included, from_environment: fromEnvironment },
    deleted_while_copying: deleted,
    checksums: { file: CHECKSUMS_FILE, sha256: createHash('sha256').update(checksumText).digest('hex') },
  };
  await writeDurable(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await fsync(dir);
  return manifest;
}

/** Rendition rows and pyramid levels describe cache blobs the backup leaves out: the copy starts with none. */
async function emptyCaches(copy: Store): Promise<void> {
  await copy.transaction(async (tx) => {
    await tx.deleteFrom('rendition_cache').execute();
    await tx.deleteFrom('rendition_counts').execute();
    await tx.updateTable('rendition_totals').set({ bytes: 0 }).execute();
    // -1 (no levels for this source) stays: it is a fact about the image, not a cache.
    await tx.updateTable('media').set({ levels: 0 }).where('levels', '>', 0).execute();
  });
}

async function countRows(store: Store): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of COUNTED_TABLES) {
    const row = await store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

async function writeHashed(stream: Readable, file: string): Promise<{ sha256: string; bytes: number }> {
  await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR });
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(
    stream,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        bytes += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(file, { mode: PRIVATE_FILE }),
  );
  await fsync(file);
  return { sha256: hash.digest('hex'), bytes };
}
