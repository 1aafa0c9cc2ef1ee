import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { UsageError } from './cli-errors.ts';

/** What a directory contributes: image files by extension (the server checks the bytes anyway). */
const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.gif',
  '.webp',
  '.avif',
  '.heic',
  '.heif',
  '.svg',
  '.bmp',
  '.ico',
]);
const GLOB_CHARS = /[*?[\]{}]/;

export interface LocalFile {
  path: string;
  size: number;
}

/**
 * Files named, image files found under directories (recursively, hidden ones skipped), and glob matches (for globs
 * the shell did not expand, e.g. quoted `"photos/**\/*.jpg"`), each once, in the order given.
 */
export async function expandPaths(args: string[]): Promise<LocalFile[]> {
  const found: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => null);
    if (info?.isFile()) found.push(arg);
    else if (info?.isDirectory()) {
      const entries = await readdir(arg, { recursive: true, withFileTypes: true });
      const files = entries
        .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(path.extname(e.name).toLowerCase()))
        .map((e) => path.join(e.parentPath ?? e.path, e.name))
        .filter(
          (p) =>
            !path
              .relative(arg, p)
              .split(path.sep)
              .some((part) => part.startsWith('.')),
        )
        .sort();
      found.push(...files);
    } else if (GLOB_CHARS.test(arg)) {
      const matches = (await glob(arg, { onlyFiles: true, absolute: false })).sort();
      if (matches.length === 0) throw new UsageError(`no files match ${arg}`);
      found.push(...matches);
    } else throw new UsageError(`no such file or directory: ${arg}`);
  }
  const seen = new Set<string>();
  const files: LocalFile[] = [];
  for (const file of found) {
    const real = await realpath(file);
    if (seen.has(real)) continue;
    seen.add(real);
    files.push({ path: file, size: (await stat(real)).size });
  }
  if (files.length === 0) throw new UsageError('no image files to upload');
  return files;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
