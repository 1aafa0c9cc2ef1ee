import { Type } from '@sinclair/typebox';
import type { Log } from '../lib/log.ts';
import { type JobHandlers, type JobQueue, jobSpec } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import type { Mailer } from './mail.ts';
import { createOutboxMailer } from './outbox-mail.ts';
import type { MailTransport } from './smtp-transport.ts';

export const MAIL_JOB = jobSpec({
  name: 'mail.deliver',
  payload: Type.Object({ message_id: Type.String({ pattern: '^msg_[0-9A-Za-z_-]{1,64}$' }) }),
  maxAttempts: 8,
});

/**
 * Scale-out mail: every message is written to the outbox first (so `send` never loses one, whatever the mail server
 * does), then a `mail.deliver` job hands it to SMTP and marks it sent. A queue outage leaves the message unsent in
 * the outbox, where the maintenance sweep finds it (`requeueUnsentMail`).
 */
export function createSmtpMailer(deps: { store: Store; log: Log; queue: JobQueue }): Mailer {
  // The mail server has the message: the log only says that it was queued.
  const outbox = createOutboxMailer(deps.store, deps.log, { logBody: false });
  return {
    async send(mail) {
      const message = await outbox.record(mail);
      try {
        await deps.queue.enqueue(MAIL_JOB, { message_id: message.id }, { dedupeKey: message.id });
      } catch (error) {
        deps.log.warn({ err: error, mail_id: message.id }, 'mail delivery not queued; the sweep retries it');
      }
    },
    list: (filter) => outbox.list(filter),
  };
}

/** Delivers one outbox message. At least once: a crash between SMTP and the `sent_at` write sends it again. */
export function mailDeliveryHandlers(deps: {
  store: Store;
  transport: MailTransport;
  log: Log;
}): JobHandlers<typeof MAIL_JOB> {
  return {
    [MAIL_JOB.name]: {
      async handle({ message_id: id }) {
        const row = await deps.store.db
          .selectFrom('outbox')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirst();
        if (!row || row.sent_at !== null) return;
        await deps.transport.send({ id, to: row.to_email, subject: row.subject, text: row.body, links: [] });
        await deps.store.db
          .updateTable('outbox')
          .set({ sent_at: Date.now() })
          .where('id', '=', id)
          .where('sent_at', 'is', null)
          .execute();
      },
      async onExhausted({ message_id: id }, error) {
        deps.log.error(
          { err: error, mail_id: id },
          'mail could not be delivered; it stays unsent in the outbox',
        );
      },
    },
  };
}

/** Unsent messages older than `olderThanMs` whose job was lost (queue outage, crash before enqueue) go again. */
export async function requeueUnsentMail(
  deps: { store: Store; queue: JobQueue },
  olderThanMs = 5 * 60_000,
  now = Date.now(),
): Promise<number> {
  const unsent = await deps.store.db
    .selectFrom('outbox')
    .select('id')
    .where('sent_at', 'is', null)
    .where('created_at', '<', now - olderThanMs)
    // Older mail (say, written before SMTP was configured) would arrive with links long expired: it stays put.
    .where('created_at', '>', now - 24 * 3_600_000)
    .orderBy('id')
    .limit(500)
    .execute();
  for (const { id } of unsent) await deps.queue.enqueue(MAIL_JOB, { message_id: id }, { dedupeKey: id });
  return unsent.length;
}
