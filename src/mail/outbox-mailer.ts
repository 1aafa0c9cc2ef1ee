import { sortableId } from '../lib/ids.ts';
import type { Log } from '../lib/log.ts';
import type { Store } from '../store/store.ts';
import type { Mail, Mailer, OutboxMessage } from './mailer.ts';

export interface OutboxMailer extends Mailer {
  /** Writes the message to the outbox (unsent) and logs it; what every backend does first. */
  record(mail: Mail): Promise<OutboxMessage>;
}

/**
 * Embedded profile: mail is written to the outbox table and logged; the operator reads it with the CLI or the
 * admin API. The SMTP backend (smtp-mailer.ts) writes the same outbox, then delivers from it.
 */
export function createOutboxMailer(store: Store, log: Log): OutboxMailer {
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
    log.info(
      { mail: { id: message.id, to: message.to, subject: message.subject, links: message.links } },
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
