import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Responder = (count: number, request: ReceivedWebhook) => number | null;

export interface HttpsReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Decides the status of each request (1-based count, and the request); `null` means never answer. */
  respond: Responder;
  close(): Promise<void>;
}

/** A self-signed certificate for localhost/127.0.0.1, made once per test run with openssl; trusted only by tests. */
export function testCertificate(): { keyFile: string; certFile: string; key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'lightbox-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  const config = path.join(dir, 'openssl.cnf');
  writeFileSync(
    config,
    `[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n[dn]\nCN=localhost\n[ext]\nsubjectAltName=DNS:localhost,DNS:hooks.test,IP:127.0.0.1\nbasicConstraints=critical,CA:TRUE\n`,
  );
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-config',
      config,
    ],
    { stdio: 'ignore' },
  );
  return { keyFile, certFile, key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
}

/** A loopback HTTPS webhook receiver that records every request. */
export async function startHttpsReceiver(
  tls: { key: string; cert: string },
  respond: Responder = () => 200,
): Promise<HttpsReceiver> {
  const received: ReceivedWebhook[] = [];
  const receiver = { respond };
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(request);
      const status = receiver.respond(received.length, request);
      if (status === null) return; // hang: the sender must time out
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://localhost:${port}/hooks`,
    received,
    get respond() {
      return receiver.respond;
    },
    set respond(fn) {
      receiver.respond = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
