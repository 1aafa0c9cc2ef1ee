import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobQueue } from '../queue/queue.ts';
import { createSqlJobQueue } from '../queue/sql-queue.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { mailContract } from './mail.contract.ts';
import { createOutboxMailer } from './outbox-mail.ts';
import { createSmtpMailer, MAIL_JOB, mailDeliveryHandlers, requeueUnsentMail } from './smtp-mail.ts';
import { createSmtpTransport, type MailTransport } from './smtp-transport.ts';
import { type LoopbackSmtp, startLoopbackSmtp } from './testing/loopback-smtp.ts';

const silent = { info() {}, warn() {}, error() {} };

/** The SMTP backend as the server composes it: outbox in SQLite, a SQL job queue, a real SMTP server on loopback. */
async function smtpBackend() {
  const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-mail-'));
  const store: Store = await openSqliteStore(path.join(dir, 'db.sqlite'));
  const smtp = await startLoopbackSmtp();
  const transport: MailTransport = await createSmtpTransport(smtp.url, 'Lightbox <no-reply@lightbox.test>');
  const queue: JobQueue<typeof MAIL_JOB> = createSqlJobQueue(store, [MAIL_JOB], {
    retry: { baseMs: 50, capMs: 200 },
    pollIntervalMs: 50,
    log: silent,
  });
  queue.start({ concurrency: 2, handlers: mailDeliveryHandlers({ store, log: silent, transport }) });
  const mailer = createSmtpMailer({ store, log: silent, queue });
  return {
    store,
    smtp,
    queue,
    mailer,
    async close() {
      await queue.stop();
      await queue.close();
      await transport.close();
      await smtp.stop();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

mailContract('smtp (loopback server, SQL queue)', async () => {
  const backend = await smtpBackend();
  return {
    mailer: backend.mailer,
    received: async (to) => backend.smtp.waitFor(to),
    close: backend.close,
  };
});

describe('smtp mailer', () => {
  let backend: Awaited<ReturnType<typeof smtpBackend>>;
  beforeAll(async () => {
    backend = await smtpBackend();
  });
  afterAll(async () => {
    await backend?.close();
  });

  const sentAt = async (to: string) => (await backend.mailer.list({ to }))[0]?.sent_at ?? null;

  it('marks a delivered message sent, with a Message-ID made from its outbox id', async () => {
    const to = 'first@example.test';
    await backend.mailer.send({ to, subject: 'Hello', text: 'Body', links: [] });
    const arrived = await backend.smtp.waitFor(to);
    const [message] = await backend.mailer.list({ to });
    expect(arrived.messageId).toBe(`<${message?.id}@lightbox>`);
    expect(arrived.raw).toMatch(/^From: Lightbox <no-reply@lightbox\.test>$/m);
    const deadline = Date.now() + 5000;
    while ((await sentAt(to)) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await sentAt(to)).toEqual(expect.any(Number));
  });

  it('a message sent while the mail server is down waits in the outbox and arrives once it is back', async () => {
    const to = 'patient@example.test';
    await backend.smtp.stop();
    await backend.mailer.send({ to, subject: 'Later', text: 'Still here', links: [] });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await sentAt(to)).toBeNull();
    expect(backend.smtp.received.some((m) => m.to.includes(to))).toBe(false);
    await backend.smtp.start();
    const arrived = await backend.smtp.waitFor(to, 15_000);
    expect(arrived.subject).toBe('Later');
    expect(backend.smtp.received.filter((m) => m.to.includes(to))).toHaveLength(1);
  });

  it('a message whose delivery job was lost is sent by the maintenance sweep, once', async () => {
    const to = 'stranded@example.test';
    // What a crash between the outbox write and the enqueue leaves: an unsent row and no job.
    const message = await createOutboxMailer(backend.store, silent).record({
      to,
      subject: 'Stranded',
      text: 'Found again',
      links: [],
    });
    await backend.store.db
      .updateTable('outbox')
      .set({ created_at: Date.now() - 10 * 60_000 })
      .where('id', '=', message.id)
      .execute();
    expect(await requeueUnsentMail(backend)).toBeGreaterThanOrEqual(1);
    await backend.smtp.waitFor(to);
    expect((await backend.smtp.waitFor(to)).subject).toBe('Stranded');
    // Mail older than a day is left alone (its links would have expired).
    await backend.store.db
      .updateTable('outbox')
      .set({ created_at: Date.now() - 2 * 24 * 3_600_000, sent_at: null })
      .where('id', '=', message.id)
      .execute();
    expect(await requeueUnsentMail(backend)).toBe(0);
  });
});

describe('smtp transport', () => {
  let smtp: LoopbackSmtp;
  beforeAll(async () => {
    smtp = await startLoopbackSmtp({ requireAuth: true });
  });
  afterAll(async () => {
    await smtp?.stop();
  });

  it('never sends credentials over a connection that did not upgrade to TLS', async () => {
    const transport = await createSmtpTransport(
      `smtp://user:secret@127.0.0.1:${smtp.port}`,
      'Lightbox <no-reply@lightbox.test>',
    );
    try {
      await expect(
        transport.send({ id: 'msg_x', to: 'a@example.test', subject: 's', text: 't', links: [] }),
      ).rejects.toThrow();
      expect(smtp.logins).toEqual([]);
      expect(smtp.received).toEqual([]);
    } finally {
      await transport.close();
    }
  });
});
