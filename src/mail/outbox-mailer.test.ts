import { DIALECTS, scratchDatabase } from '../../test/support/databases.ts';
import { openStore } from '../store/store.ts';
import { mailContract } from './mail.contract.ts';
import { createOutboxMailer } from './outbox-mailer.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

for (const dialect of DIALECTS) {
  mailContract(`outbox (${dialect})`, async () => {
    const db = await scratchDatabase(dialect);
    const store = await openStore(db.config);
    return {
      mailer: createOutboxMailer(store, silent),
      received: async () => null,
      async close() {
        await store.close();
        await db.drop();
      },
    };
  });
}
