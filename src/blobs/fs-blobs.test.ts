import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blobsContract } from './blobs.contract.ts';
import { createFsBlobStore } from './fs-blobs.ts';

blobsContract('filesystem', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-blobs-'));
  return { blobs: await createFsBlobStore(dir), close: () => rm(dir, { recursive: true, force: true }) };
});

describe('temp files', () => {
  it('the owner clears what a crash left; a second opener (a backup beside the server) leaves them', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-blobs-'));
    try {
      await createFsBlobStore(dir);
      const inFlight = path.join(dir, '.tmp', 'upload.part');
      await writeFile(inFlight, 'half an upload');
      await createFsBlobStore(dir, { cleanTemp: false });
      expect(existsSync(inFlight)).toBe(true);
      await createFsBlobStore(dir);
      expect(existsSync(inFlight)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
