import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteStore } from './sqlite-store.ts';
import { storeContract } from './store.contract.ts';

storeContract('sqlite', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-store-'));
  return {
    store: await openSqliteStore(path.join(dir, 'db.sqlite')),
    drop: () => rm(dir, { recursive: true, force: true }),
  };
});
