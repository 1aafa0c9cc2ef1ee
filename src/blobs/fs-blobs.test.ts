import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { blobsContract } from './blobs.contract.ts';
import { createFsBlobStore } from './fs-blobs.ts';

blobsContract('filesystem', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-blobs-'));
  return { blobs: await createFsBlobStore(dir), close: () => rm(dir, { recursive: true, force: true }) };
});
