import { sortableId } from '../lib/ids.ts';
import type { Log } from '../lib/log.ts';
import type { Store } from '../store/store.ts';
import type { Mailer, OutboxMessage } from './mailer.ts';

/**
 * Embedded profile: mail is written to the outbox table and logged; the operator reads it with the CLI or the
 * admin API. `deliver` lets a transport (SMTP) hang off the same outbox.
 */
export function createOutboxMailer(
  store: Store,
  log: Log,
  deliver?: (message: OutboxMessage) => Promise<void>,
): Mailer {
  return {
    async send(mail) {
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
      if (deliver) {
        await deliver(message);
        await store.db
          .updateTable('outbox')
          .set({ sent_at: Date.now() })
          .where('id', '=', message.id)
          .execute();
      }
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
