import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBase36 } from '../lib/ids.ts';
import { assertBlobKey, type BlobStore } from './blobs.ts';

/**
 * Embedded profile: blobs are files under `root`. Every write goes to a temp file in the same filesystem,
 * is fsynced, then renamed into place, so a crash leaves either the old blob, the new one, or a temp file
 * that `cleanTemp` removes at start — never a half-written blob.
 */
export async function createFsBlobStore(
  root: string,
  options: { cleanTemp?: boolean } = {},
): Promise<BlobStore> {
  const tmpDir = path.join(root, '.tmp');
  // Temp files left by a crash are garbage by definition: nothing points at them. Only the owner of the data
  // directory (the server, holding its lock) may say so: `lightbox backup` opens the store beside a running
  // server, whose uploads are writing temp files there at that moment.
  if (options.cleanTemp ?? true) await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });

  const fileOf = (key: string) => {
    assertBlobKey(key);
    return path.join(root, key);
  };
  const missing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

  async function fsyncDir(dir: string) {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  return {
    async put(key, source) {
      const target = fileOf(key);
      const temp = path.join(tmpDir, `${randomBase36(16)}.part`);
      try {
        if (Buffer.isBuffer(source) || source instanceof Readable) {
          await pipeline(Buffer.isBuffer(source) ? Readable.from([source]) : source, createWriteStream(temp));
        } else {
          await copyFile(source.file, temp);
        }
        const handle = await open(temp, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await mkdir(path.dirname(target), { recursive: true });
        await rename(temp, target);
        await fsyncDir(path.dirname(target));
        return { size: (await stat(target)).size };
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
    async get(key) {
      const file = fileOf(key);
      try {
        await stat(file);
      } catch (error) {
        if (missing(error)) return null;
        throw error;
      }
      return createReadStream(file);
    },
    async getBuffer(key) {
      try {
        return await readFile(fileOf(key));
      } catch (error) {
        if (missing(error)) return null;
        throw error;
      }
    },
    async stat(key) {
      try {
        return { size: (await stat(fileOf(key))).size };
      } catch (error) {
        if (missing(error)) return null;
        throw error;
      }
    },
    async delete(key) {
      try {
        await unlink(fileOf(key));
      } catch (error) {
        if (!missing(error)) throw error;
      }
    },
    async list(prefix) {
      if (!prefix.endsWith('/')) throw new Error('prefix must end with /');
      const dir = fileOf(prefix.slice(0, -1));
      try {
        const entries = await readdir(dir, { recursive: true, withFileTypes: true });
        return entries
          .filter((e) => e.isFile())
          .map(
            (e) =>
              `${prefix}${path
                .relative(dir, path.join(e.parentPath ?? e.path, e.name))
                .split(path.sep)
                .join('/')}`,
          )
          .sort();
      } catch (error) {
        if (missing(error)) return [];
        throw error;
      }
    },
    async deletePrefix(prefix) {
      if (!prefix.endsWith('/')) throw new Error('prefix must end with /');
      await rm(fileOf(prefix.slice(0, -1)), { recursive: true, force: true });
    },
    async withLocalFile(key, fn) {
      const file = fileOf(key);
      try {
        await stat(file);
      } catch (error) {
        if (missing(error)) return null;
        throw error;
      }
      return fn(file);
    },
    async ping() {
      await stat(root);
    },
  };
}
