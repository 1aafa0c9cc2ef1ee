import { createPostgresDatabase } from '../../test/support/postgres.ts';
import { openPostgresStore } from './postgres-store.ts';
import { storeContract } from './store.contract.ts';

storeContract('postgres', async () => {
  const db = await createPostgresDatabase();
  return { store: await openPostgresStore(db.url), drop: db.drop };
});
