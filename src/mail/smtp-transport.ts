import type { Mail } from './mail.ts';

/** Hands one message to a mail server. Throws when the server does not take it (the caller retries). */
export interface MailTransport {
  send(mail: Mail & { id: string }): Promise<void>;
  close(): Promise<void>;
}

/** How long one delivery may take, connection included. */
const SMTP_TIMEOUT_MS = 15_000;

/**
 * SMTP through nodemailer, imported only when an SMTP URL is configured. `smtp://` upgrades with STARTTLS when the
 * server offers it (and must, when the URL carries credentials); `smtps://` is TLS from the first byte. The URL is the operator's, not a user's: it does not go
 * through the safe fetcher.
 */
export async function createSmtpTransport(url: string, from: string): Promise<MailTransport> {
  const { createTransport } = await import('nodemailer');
  const parsed = new URL(url);
  const secure = parsed.protocol === 'smtps:';
  const transport = createTransport(
    {
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
      secure,
      // Credentials never go over a connection that did not upgrade to TLS.
      requireTLS: !secure && parsed.username !== '',
      ...(parsed.username
        ? { auth: { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } }
        : {}),
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS,
    },
    { from },
  );
  return {
    async send(mail) {
      await transport.sendMail({
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        // Receivers that deduplicate by Message-ID see a retried delivery as the same message.
        messageId: `<${mail.id}@lightbox>`,
      });
    },
    async close() {
      transport.close();
    },
  };
}
