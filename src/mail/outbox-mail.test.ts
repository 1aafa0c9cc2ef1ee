import { describe, expect, it } from 'vitest';
import { DIALECTS, scratchDatabase } from '../../test/support/databases.ts';
import { openStore } from '../store/open-store.ts';
import { mailContract } from './mail.contract.ts';
import { createOutboxMailer } from './outbox-mail.ts';

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

describe('outbox mailer log', () => {
  const mail = {
    to: 'owner@example.test',
    subject: 'Approve',
    text: 'Approve it: https://lb.test/approve-key?t=dG9r&exp=99&sig=c2ln\n',
    links: [{ rel: 'approve-key', url: 'https://lb.test/approve-key?t=dG9r&exp=99&sig=c2ln' }],
  };

  it.each([
    [true, { text: 'Approve it: https://lb.test/approve-key?t=[redacted]&exp=99&sig=[redacted]\n' }],
    [false, {}],
  ])('logBody %s: the body only without SMTP, and never a link token or signature', async (logBody, body) => {
    const db = await scratchDatabase('sqlite');
    const store = await openStore(db.config);
    try {
      const logged: object[] = [];
      const log = { ...silent, info: (obj: object) => void logged.push(obj) };
      await createOutboxMailer(store, log, { logBody }).send(mail);
      const [line] = logged as { mail: Record<string, unknown> }[];
      expect(line?.mail).toEqual({
        id: expect.stringMatching(/^msg_/),
        to: 'owner@example.test',
        subject: 'Approve',
        ...body,
        links: [
          logBody
            ? { rel: 'approve-key', url: 'https://lb.test/approve-key?t=[redacted]&exp=99&sig=[redacted]' }
            : { rel: 'approve-key' },
        ],
      });
      // The outbox keeps the message whole: it is where the operator reads the links.
      expect((await createOutboxMailer(store, silent).list({ to: mail.to }))[0]).toMatchObject(mail);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
