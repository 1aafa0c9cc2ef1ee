import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mail, Mailer } from './mail.ts';

export interface MailHarness {
  mailer: Mailer;
  /**
   * Waits until `to` has received a message and returns what arrived; null for a backend that keeps mail (the
   * outbox is the mailbox, and its messages stay unsent).
   */
  received(to: string): Promise<{ subject: string; text: string } | null>;
  close(): Promise<void>;
}

const mail = (to: string, n = 1): Mail => ({
  to,
  subject: `Subject ${n}`,
  text: `Line one\nhttps://lightbox.test/verify?t=${n}\n`,
  links: [{ rel: 'verify', url: `https://lightbox.test/verify?t=${n}` }],
});

/** What every mail backend does: the outbox always has the message, whatever happens to its delivery. */
export function mailContract(name: string, open: () => Promise<MailHarness>): void {
  describe(`mail contract: ${name}`, () => {
    let harness: MailHarness;
    beforeAll(async () => {
      harness = await open();
    });
    afterAll(async () => {
      await harness?.close();
    });

    it('keeps every message in the outbox, newest first, addresses lower-cased, links structured', async () => {
      const to = `Someone-${randomUUID()}@Example.TEST`;
      await harness.mailer.send(mail(to, 1));
      await harness.mailer.send(mail(to, 2));
      const listed = await harness.mailer.list({ to });
      expect(listed.map((m) => m.subject)).toEqual(['Subject 2', 'Subject 1']);
      expect(listed[0]).toMatchObject({
        to: to.toLowerCase(),
        text: 'Line one\nhttps://lightbox.test/verify?t=2\n',
        links: [{ rel: 'verify', url: 'https://lightbox.test/verify?t=2' }],
      });
      expect(listed[0]?.id).toMatch(/^msg_/);
      expect(await harness.mailer.list({ to, limit: 1 })).toHaveLength(1);
      expect(await harness.mailer.list({ to: `other-${randomUUID()}@example.test` })).toEqual([]);
    });

    it('a delivered message arrives unchanged and is marked sent; a kept one stays unsent', async () => {
      const to = `reader-${randomUUID()}@example.test`;
      await harness.mailer.send(mail(to, 3));
      const arrived = await harness.received(to);
      const sentAt = async () => (await harness.mailer.list({ to }))[0]?.sent_at ?? null;
      if (arrived === null) {
        expect(await sentAt()).toBeNull();
        return;
      }
      expect(arrived.subject).toBe('Subject 3');
      expect(arrived.text).toContain('https://lightbox.test/verify?t=3');
      const deadline = Date.now() + 5000;
      while ((await sentAt()) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(await sentAt()).toEqual(expect.any(Number));
    });
  });
}
