// With LIGHTBOX_SMTP_URL set, mail leaves the server: the verification mail of a self-serve key reaches a real SMTP
// server (loopback), and the outbox records it as sent. Without it (every other suite), mail stays in the outbox.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackSmtp, startLoopbackSmtp } from '../src/mail/testing/loopback-smtp.ts';
import { eventually } from './support/eventually.ts';
import { outbox } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let smtp: LoopbackSmtp;
let server: TestServer;

beforeAll(async () => {
  smtp = await startLoopbackSmtp();
  server = await startTestServer({
    LIGHTBOX_SMTP_URL: smtp.url,
    LIGHTBOX_MAIL_FROM: 'Lightbox <keys@lightbox.test>',
  });
});

afterAll(async () => {
  await server?.close();
  await smtp?.stop();
});

describe('mail over SMTP', () => {
  it('a self-serve key mails its verification link to the address, and the outbox says sent', async () => {
    const email = `smtp-${Date.now()}@example.test`;
    const response = await server.request('POST', '/v1/keys', { json: { email } });
    expect(response.status, response.text).toBe(201);

    const arrived = await smtp.waitFor(email);
    expect(arrived.subject).toBe('Verify your Lightbox account');
    expect(arrived.raw).toMatch(/^From: Lightbox <keys@lightbox\.test>$/m);
    const [message] = await outbox(server, email);
    const verify = message?.links.find((l) => l.rel === 'verify')?.url ?? '';
    expect(verify).toContain('/verify?');
    // Long lines may be folded by the transfer encoding; the link is there once unfolded.
    expect(arrived.text.replace(/=\n/g, '').replace(/=3D/g, '=')).toContain(verify);
    const sent = await eventually(
      async () => (await outbox(server, email))[0]?.sent_at ?? null,
      (value) => value !== null,
    );
    expect(sent).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});
