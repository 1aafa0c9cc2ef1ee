import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../blobs/blobs.ts';
import { createFsBlobStore } from '../blobs/fs-blobs.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { BackupError } from './backup-files.ts';
import { createBackup } from './create-backup.ts';
import { restoreBackup } from './restore-backup.ts';

const NOW = 1_767_000_000_000;

function mediaRow(id: string) {
  return {
    id,
    account_id: null,
    environment: 'live' as const,
    token: `tok${id}`,
    name: `${id}.png`,
    format: 'png',
    width: 1,
    height: 1,
    frames: 1,
    filesize: 3,
    blob_key: `originals/${id}`,
    namespace: null,
    tags: '[]',
    public: 1,
    date: null,
    metadata: '{}',
    expiry_reason: null,
    expires_at: null,
    client_ip: null,
    created_at: NOW,
    updated_at: NOW,
    levels: 2,
  };
}

/**
 * The consistency rules of `createBackup` at the moments the HTTP suite cannot aim at: a media deleted between
 * the database snapshot and the copy of its original, and an original missing while its row is still there.
 */
describe('createBackup', () => {
  let dir: string;
  let store: Store;
  let blobs: BlobStore;
  const source = () => ({
    database: { kind: 'sqlite' as const, file: path.join(dir, 'data', 'lightbox.db') },
    dataDir: path.join(dir, 'data'),
    secrets: [],
    version: 'test',
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lightbox-backup-unit-'));
    store = await openSqliteStore(path.join(dir, 'data', 'lightbox.db'));
    blobs = await createFsBlobStore(path.join(dir, 'data', 'blobs'));
    for (const id of ['aaaa', 'bbbb', 'cccc']) {
      await store.db.insertInto('media').values(mediaRow(id)).execute();
      await blobs.put(`originals/${id}`, Buffer.from(id));
    }
    await store.db
      .insertInto('rendition_cache')
      .values({
        blob_key: 'renditions/aaaa/w10.png',
        media_id: 'aaaa',
        counted: 1,
        format: 'png',
        width: 10,
        height: 10,
        bytes: 5,
        last_used_at: NOW,
      })
      .execute();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves out a media deleted between the snapshot and the copy of its original, and empties the caches', async () => {
    // The server deletes `bbbb` (row, then blob) right after the snapshot: when the backup comes to read it.
    const racing: BlobStore = {
      ...blobs,
      get: async (key) => {
        if (key === 'originals/bbbb') {
          await store.db.deleteFrom('media').where('id', '=', 'bbbb').execute();
          await blobs.delete(key);
        }
        return blobs.get(key);
      },
    };
    const manifest = await createBackup({ ...source(), blobs: racing }, path.join(dir, 'backup'));
    expect(manifest.deleted_while_copying).toBe(1);
    expect(manifest.counts.media).toBe(2);
    expect(manifest.blobs.count).toBe(2);

    const restoredDir = path.join(dir, 'restored');
    await restoreBackup(path.join(dir, 'backup'), {
      database: { kind: 'sqlite', file: path.join(restoredDir, 'lightbox.db') },
      openBlobs: () => createFsBlobStore(path.join(restoredDir, 'blobs')),
      dataDir: restoredDir,
      secrets: [],
      ownFiles: [],
    });
    const restored = await openSqliteStore(path.join(restoredDir, 'lightbox.db'));
    try {
      const rows = await restored.db.selectFrom('media').select(['id', 'levels']).orderBy('id').execute();
      expect(rows).toEqual([
        { id: 'aaaa', levels: 0 },
        { id: 'cccc', levels: 0 },
      ]);
      expect(await restored.db.selectFrom('rendition_cache').selectAll().execute()).toEqual([]);
      expect((await readdir(path.join(restoredDir, 'blobs', 'originals'))).sort()).toEqual(['aaaa', 'cccc']);
    } finally {
      await restored.close();
    }
  });

  it('fails, writing nothing, when an original is missing while its row is still there', async () => {
    await blobs.delete('originals/cccc');
    const target = path.join(dir, 'backup');
    await expect(createBackup({ ...source(), blobs }, target)).rejects.toThrow(BackupError);
    await expect(readdir(target)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
