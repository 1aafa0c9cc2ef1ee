// A real SMTP server on 127.0.0.1 for tests (smtp-server, the library nodemailer's author maintains): it records
// what arrives, and can be stopped and started again on the same port.
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
  subject: string;
  messageId: string;
  text: string;
}

export interface LoopbackSmtp {
  readonly port: number;
  readonly url: string;
  readonly received: ReceivedMail[];
  /** Authentication attempts the server saw (user names). */
  readonly logins: string[];
  waitFor(to: string, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startLoopbackSmtp(options: { requireAuth?: boolean } = {}): Promise<LoopbackSmtp> {
  const received: ReceivedMail[] = [];
  const logins: string[] = [];
  let port = 0;
  let server: SMTPServer | null = null;
  const serverOptions: SMTPServerOptions = {
    // No certificate here: STARTTLS is not offered, so a client that requires TLS must refuse to go on.
    disabledCommands: options.requireAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !options.requireAuth,
    // Takes a password over plain text if a client offers one: what the client must never do is then visible.
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push(auth.username ?? '');
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const [head = '', ...body] = raw.split('\r\n\r\n');
        const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw,
          subject: header('Subject'),
          messageId: header('Message-ID'),
          text: body.join('\r\n\r\n').replace(/\r\n/g, '\n'),
        });
        callback();
      });
    },
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = new SMTPServer(serverOptions);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (
          (server as SMTPServer & { server: { address(): AddressInfo } }).server.address() as AddressInfo
        ).port;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    received,
    logins,
    async waitFor(to, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find((m) => m.to.includes(to.toLowerCase()));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no mail for ${to} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async stop() {
      const current = server;
      server = null;
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    start: listen,
  };
}
