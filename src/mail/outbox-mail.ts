import { sortableId } from '../lib/ids.ts';
import { type Log, redactQuerySecrets } from '../lib/log.ts';
import type { Store } from '../store/store.ts';
import type { Mail, Mailer, OutboxMessage } from './mail.ts';

export interface OutboxMailer extends Mailer {
  /** Writes the message to the outbox (unsent) and logs it; what every backend does first. */
  record(mail: Mail): Promise<OutboxMessage>;
}

/**
 * Embedded profile: mail is written to the outbox table and logged; the operator reads it with the CLI or the
 * admin API. The SMTP backend (smtp-mail.ts) writes the same outbox, then delivers from it.
 *
 * The log shows the body only when the outbox is the mailbox (`logBody`, no SMTP), and then with every link's
 * token and signature redacted: the log is read by more people, and kept longer, than the mail. The full links
 * stay in the outbox table (`lightbox admin outbox`).
 */
export function createOutboxMailer(
  store: Store,
  log: Log,
  options: { logBody?: boolean } = {},
): OutboxMailer {
  const logBody = options.logBody ?? true;
  async function record(mail: Mail): Promise<OutboxMessage> {
    const message: OutboxMessage = {
      ...mail,
      to: mail.to.toLowerCase(),
      id: sortableId('msg'),
      created_at: Date.now(),
      sent_at: null,
    };
    await store.db
      .insertInto('outbox')
      .values({
        id: message.id,
        to_email: message.to,
        subject: message.subject,
        body: message.text,
        links: JSON.stringify(message.links),
        created_at: message.created_at,
        sent_at: null,
      })
      .execute();
    const logged = logBody
      ? {
          text: redactQuerySecrets(message.text),
          links: message.links.map((l) => ({ rel: l.rel, url: redactQuerySecrets(l.url) })),
        }
      : { links: message.links.map((l) => ({ rel: l.rel })) };
    log.info(
      { mail: { id: message.id, to: message.to, subject: message.subject, ...logged } },
      'mail queued',
    );
    return message;
  }
  return {
    record,
    async send(mail) {
      await record(mail);
    },
    async list({ to, limit = 100 }) {
      let query = store.db.selectFrom('outbox').selectAll().orderBy('id', 'desc').limit(limit);
      if (to) query = query.where('to_email', '=', to.toLowerCase());
      const rows = await query.execute();
      return rows.map((r) => ({
        id: r.id,
        to: r.to_email,
        subject: r.subject,
        text: r.body,
        links: JSON.parse(r.links) as OutboxMessage['links'],
        created_at: r.created_at,
        sent_at: r.sent_at,
      }));
    },
  };
}
