import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/** Version of the layout below; a restore refuses any other. */
export const BACKUP_FORMAT = 'lightbox-backup/1';

/**
 * A backup directory:
 * - `manifest.json` — what is inside (this type); written last, so its presence means the backup is complete;
 * - `checksums.sha256` — `sha256sum -c` format, one line per file below (the manifest holds its checksum);
 * - `database.sqlite` — the SQLite database, caches emptied;
 * - `secrets/<name>` — the generated secrets of the data directory (0600);
 * - `blobs/<key>` — every original the database references.
 * Directories are 0700 and files 0600: the whole backup is as sensitive as the data directory.
 */
export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  lightbox_version: string;
  created_at: string;
  /** The last migration the database had run, and every migration this release knew of. */
  migration: { level: string | null; known: string[] };
  database: { file: string; bytes: number; sha256: string };
  counts: Record<string, number>;
  blobs: { count: number; bytes: number };
  /** Which secret files are inside; those set in the environment instead are not (the restored server needs them set). */
  secrets: { included: string[]; from_environment: string[] };
  /** Media deleted by the server between the database copy and the copy of their blob: left out of the backup. */
  deleted_while_copying: number;
  checksums: { file: string; sha256: string };
}

export const MANIFEST_FILE = 'manifest.json';
export const CHECKSUMS_FILE = 'checksums.sha256';
export const DATABASE_FILE = 'database.sqlite';
export const SECRETS_DIR = 'secrets';
export const BLOBS_DIR = 'blobs';

export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

export async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** `sha256sum` lines, sorted by path. */
export function formatChecksums(entries: Map<string, string>): string {
  return [...entries]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([file, sha256]) => `${sha256}  ${file}\n`)
    .join('');
}

export function parseChecksums(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    const file = match?.[2];
    if (!match?.[1] || !file || !isInsideRelative(file))
      throw new BackupError(`bad checksum line ${JSON.stringify(line)}`);
    entries.set(file, match[1]);
  }
  return entries;
}

/** A relative path that stays inside the backup directory. */
function isInsideRelative(file: string): boolean {
  return (
    !path.isAbsolute(file) && !file.split('/').some((part) => part === '..' || part === '' || part === '.')
  );
}

/** Writes a whole file and flushes it to disk before returning. */
export async function writeDurable(file: string, data: string | Buffer): Promise<void> {
  await writeFile(file, data, { mode: PRIVATE_FILE });
  await fsync(file);
}

export async function fsync(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Copies a file into a new file that is 0600 from its creation (never readable by others, not even briefly). */
export async function copyPrivateFile(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from), createWriteStream(to, { flags: 'wx', mode: PRIVATE_FILE }));
  await fsync(to);
}

export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
}

/** The names in `dir`, or none when it does not exist. */
export async function entriesOf(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function readManifest(dir: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new BackupError(`${dir} holds no ${MANIFEST_FILE}: not a backup, or one that did not finish`);
    }
    throw error;
  }
  let manifest: Partial<BackupManifest>;
  try {
    manifest = JSON.parse(text) as Partial<BackupManifest>;
  } catch {
    throw new BackupError(`${path.join(dir, MANIFEST_FILE)} is not valid JSON`);
  }
  if (manifest.format !== BACKUP_FORMAT) {
    throw new BackupError(
      `unknown backup format ${JSON.stringify(manifest.format)} (this release reads ${BACKUP_FORMAT})`,
    );
  }
  return manifest as BackupManifest;
}

/** A problem the operator can act on: printed as one line, without a stack. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** Runs `fn` on every item, at most `limit` at a time. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
