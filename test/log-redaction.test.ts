import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackSmtp, startLoopbackSmtp } from '../src/mail/testing/loopback-smtp.ts';
import {
  createAccount,
  grantCredits,
  mailedLink,
  mintKey,
  outbox,
  pathOf,
  uniqueEmail,
} from './support/fixtures.ts';
import { type HttpsReceiver, startHttpsReceiver, testCertificate } from './support/https-receiver.ts';
import { png } from './support/images.ts';
import { uploaded } from './support/media-fixtures.ts';
import { operatorSignIn } from './support/operator-session.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { newestSignInLink, postForm, sessionCookieOf, signIn, tokenOf } from './support/web-session.ts';

/**
 * A real server (embedded profile) whose logger writes into memory, at `debug` with `src` access lines on: what an
 * operator's log would hold, line for line, after redaction.
 */
async function startLoggedServer(
  env: Record<string, string> = {},
): Promise<TestServer & { log: () => string }> {
  const lines: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const server = await startTestServer(
    {
      LIGHTBOX_LOG_LEVEL: 'debug',
      LIGHTBOX_SRC_LOG_LEVEL: 'info',
      LIGHTBOX_KEYS_PER_IP_PER_HOUR: '100000',
      ...env,
    },
    { logStream },
  );
  return { ...server, log: () => lines.join('') };
}

const hiddenFields = (html: string) =>
  Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]),
  );

/** Every secret of a signed link: its token, its signature and the confirmation token of its page. */
function linkSecrets(url: string): string[] {
  const query = new URL(url).searchParams;
  return [query.get('t'), query.get('sig')].filter((v): v is string => Boolean(v));
}

/** The secret part of an API key, less the four characters its hint shows. */
const keySecret = (key: string) => key.slice(key.lastIndexOf('_') + 5);

/**
 * Drives every flow that puts a secret in a URL, a header or a mail, and returns the secrets it saw. `beforeMail`
 * waits until mail has been handled (delivered, with SMTP).
 */
async function exerciseSecrets(server: TestServer, waitForMail: (to: string) => Promise<void>) {
  const secrets: string[] = [server.adminToken, server.services.secrets.secret];
  const email = uniqueEmail();
  const created = await server.request('POST', '/v1/keys', { json: { email } });
  expect(created.status, created.text).toBe(201);
  const key = created.body.key as string;
  secrets.push(key, keySecret(key));

  // A key in the query string is refused, on a route and on no route at all; in the header it works.
  expect((await server.request('GET', `/v1/usage?api_key=${key}`)).status).toBe(401);
  expect((await server.request('GET', `/api/v1/product-image-enhancements?api_key=${key}&x=1`)).status).toBe(
    401,
  );
  expect((await server.request('GET', `/no/such/route?key=${key}&token=${key}`)).status).toBe(404);
  expect((await server.request('GET', '/v1/usage', { key })).status).toBe(200);
  expect((await server.request('GET', `/admin/v1/accounts?limit=1&token=${server.adminToken}`)).status).toBe(
    401,
  );
  expect((await server.admin('GET', '/admin/v1/accounts?limit=1')).status).toBe(200);
  // A private image: its src token is its capability, and src access lines are on in this server.
  const image = await uploaded(server, await png(16, 16), { key, fields: { public: 'false' } });
  const srcPath = pathOf(image.src as string);
  const token = srcPath.split('/')[2] as string;
  secrets.push(token);
  expect((await server.request('GET', srcPath)).status).toBe(200);
  expect((await server.request('GET', `${srcPath}?w=8`)).status).toBe(200);

  // A key where a media id goes.
  expect((await server.request('GET', `/v1/media/${key}`, { key })).status).toBeGreaterThanOrEqual(400);

  // Verification: the mailed link, opened.
  await waitForMail(email);
  const verifyUrl = await mailedLink(server, email, 'verify');
  secrets.push(...linkSecrets(verifyUrl));
  expect((await server.request('GET', pathOf(verifyUrl))).status).toBe(200);

  // Approval: a verified account's new key, its mailed link, its page and its form.
  const owner = await createAccount(server, { verified: true });
  const pending = await server.request('POST', '/v1/keys', { json: { email: owner.email } });
  expect(pending.body.status).toBe('pending_approval');
  secrets.push(pending.body.key, keySecret(pending.body.key));
  await waitForMail(owner.email);
  const approveUrl = await mailedLink(server, owner.email, 'approve-key');
  secrets.push(...linkSecrets(approveUrl));
  const page = await server.request('GET', pathOf(approveUrl));
  const fields = hiddenFields(page.text);
  secrets.push(fields.confirm as string);
  const approved = await server.request('POST', '/approve-key', {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  expect(approved.status, approved.text).toBe(200);
  // A tampered link, logged by its URL as well.
  expect((await server.request('GET', `${pathOf(approveUrl)}x`)).status).toBe(400);

  // Dashboard sign-in: the mailed link (opened, then spent), the session cookie, the CSRF token, a key made there.
  await waitForMail(owner.email);
  const before = await postForm(server, '/sign-in', { email: owner.email });
  expect(before.status).toBe(200);
  await waitForMail(owner.email);
  const unused = (await newestSignInLink(server, owner.email)) as string;
  secrets.push(tokenOf(unused));
  expect((await server.request('GET', pathOf(unused))).status).toBe(200);
  const session = await signIn(server, owner.email);
  secrets.push(session.cookie.split('=')[1] as string, session.csrf);
  const made = await session.request('POST', '/dashboard/api/keys', { json: { environment: 'test' } });
  expect(made.status, made.text).toBe(201);
  secrets.push(made.body.key, keySecret(made.body.key), made.body.webhook_secret);
  expect((await postForm(server, '/sign-in/continue', { token: tokenOf(unused) })).status).toBe(303);
  expect(
    sessionCookieOf(await postForm(server, '/sign-in/continue', { token: tokenOf(unused) })),
  ).toBeUndefined();

  // Operator pages: the admin token typed into the sign-in form (wrong, then right), the operator session and its
  // CSRF token, the outbox page showing every link, and a key minted there.
  expect((await postForm(server, '/admin/sign-in', { token: `${server.adminToken}-wrong` })).status).toBe(
    401,
  );
  const operator = await operatorSignIn(server);
  secrets.push(operator.cookie.split('=')[1] as string, operator.csrf);
  expect((await operator.page(`/admin/outbox?to=${encodeURIComponent(owner.email)}`)).status).toBe(200);
  const minted = await operator.form(`/admin/accounts/${owner.id}/keys`, { environment: 'test' });
  const mintedKey = /readonly value="([a-z]+_test_[0-9A-Za-z]+)"/.exec(minted.text)?.[1] as string;
  expect(mintedKey).toBeDefined();
  secrets.push(mintedKey, keySecret(mintedKey));
  expect((await operator.form('/admin/sign-out')).status).toBe(303);

  // The outbox keeps the full links (that is where the operator reads them).
  const mails = [...(await outbox(server, email)), ...(await outbox(server, owner.email))];
  expect(mails.some((m) => m.text.includes(new URL(approveUrl).searchParams.get('sig') as string))).toBe(
    true,
  );
  return secrets.filter((s) => s.length >= 8);
}

function expectNoSecret(log: string, secrets: string[]): void {
  expect(log.length).toBeGreaterThan(1000);
  for (const secret of secrets) {
    expect(log.includes(secret), `log contains ${secret}`).toBe(false);
  }
  // The lines are there, only without their secrets.
  expect(log).toContain('/v1/usage?api_key=[redacted]');
  expect(log).toContain('/approve-key?t=[redacted]&exp=');
  expect(log).toMatch(/&sig=\[redacted\]/);
  expect(log).toMatch(/"\/src\/\[redacted\]\/[^"]+\.png/);
}

describe('log redaction: embedded (mail kept in the outbox)', () => {
  let server: Awaited<ReturnType<typeof startLoggedServer>>;
  beforeAll(async () => {
    server = await startLoggedServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('no API key, admin token, link token, signature or confirmation token reaches the log', async () => {
    const secrets = await exerciseSecrets(server, async () => {});
    const log = server.log();
    expectNoSecret(log, secrets);
    // Without SMTP the log shows the mail (it is the operator's mailbox), links redacted.
    const queued = log
      .split('\n')
      .filter((line) => line.includes('"mail queued"'))
      .map((line) => JSON.parse(line));
    expect(queued.length).toBeGreaterThanOrEqual(2);
    // Signed links lose their token and signature; sign-in links their token.
    const redactedLink = /\?(t=\[redacted\]&exp=\d+&sig=\[redacted\]|token=\[redacted\])/;
    for (const line of queued) {
      expect(line.mail.text).toMatch(redactedLink);
      for (const link of line.mail.links) expect(link.url).toMatch(new RegExp(`${redactedLink.source}$`));
    }
    expect(queued.some((line) => line.mail.subject === 'Sign in to Lightbox')).toBe(true);
  });
});

describe('log redaction: SMTP configured', () => {
  let smtp: LoopbackSmtp;
  let server: Awaited<ReturnType<typeof startLoggedServer>>;
  beforeAll(async () => {
    smtp = await startLoopbackSmtp();
    server = await startLoggedServer({ LIGHTBOX_SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.stop();
  });

  it('mail goes out whole, and the log holds neither its body nor any secret', async () => {
    const secrets = await exerciseSecrets(server, async (to) => {
      await smtp.waitFor(to);
    });
    const delivered = smtp.received.map((m) => m.text).join('\n');
    expect(delivered).toContain('&sig=');
    const log = server.log();
    expectNoSecret(log, secrets);
    const queued = log
      .split('\n')
      .filter((line) => line.includes('"mail queued"'))
      .map((line) => JSON.parse(line));
    expect(queued.length).toBeGreaterThanOrEqual(2);
    for (const line of queued) {
      expect(line.mail.text).toBeUndefined();
      expect(line.mail.links.every((l: { url?: string }) => l.url === undefined)).toBe(true);
    }
  });
});

describe('operator lines: jobs, enhancement items and webhook attempts', () => {
  const cert = testCertificate();
  let source: Awaited<ReturnType<typeof startProductSource>>;
  let hook: HttpsReceiver;
  let server: Awaited<ReturnType<typeof startLoggedServer>>;
  beforeAll(async () => {
    [source, hook] = await Promise.all([startProductSource(), startHttpsReceiver(cert)]);
    server = await startLoggedServer({
      LIGHTBOX_LOG_LEVEL: 'info',
      LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
      LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
    });
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([source?.close(), hook?.close()]);
  });

  it('one line per job start and end, per item failure and per webhook attempt, with ids and no secret', async () => {
    const account = await createAccount(server, { verified: true });
    await grantCredits(server, account.id, 200);
    const { key } = await mintKey(server, account.id, { environment: 'live' });
    const sourceSecret = 'sourcetokenvalue123456';
    const created = await server.request('POST', '/api/v1/product-image-enhancements', {
      key,
      headers: { 'idempotency-key': `log-lines-${Date.now()}`, 'x-request-id': 'trace-log-lines' },
      json: {
        images: [
          { source_url: `${source.base}/ok.jpg?token=${sourceSecret}` },
          { source_url: `${source.base}/missing.jpg?token=${sourceSecret}` },
        ],
        webhook_url: hook.url,
      },
    });
    expect(created.status, created.text).toBe(201);
    const enhancementId = created.body.enhancement.id as string;
    const lines = () =>
      server
        .log()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const deadline = Date.now() + 30_000;
    while (lines().filter((l) => l.msg === 'webhook attempt').length < 3) {
      expect(Date.now(), 'webhooks not attempted').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    const all = lines();
    expect(all.find((l) => l.msg === 'enhancement created')).toMatchObject({
      enhancement_id: enhancementId,
      request_id: 'trace-log-lines',
      items: 2,
      credits_reserved: 10,
    });
    const itemJobs = all.filter((l) => l.job === 'enhancement.item');
    const starts = itemJobs.filter((l) => l.msg === 'job started');
    const ends = itemJobs.filter((l) => l.msg === 'job finished');
    expect(starts).toHaveLength(2);
    expect(ends).toHaveLength(2);
    for (const end of ends) {
      expect(end).toMatchObject({ attempt: 1, outcome: 'completed', level: 30 });
      expect(typeof end.job_id).toBe('string');
      expect(typeof end.item_id).toBe('string');
      expect(end.duration_ms).toBeGreaterThanOrEqual(0);
      expect(starts.some((s) => s.job_id === end.job_id && s.item_id === end.item_id)).toBe(true);
    }
    expect(all.find((l) => l.msg === 'job finished' && l.job === 'enhancement.start')).toMatchObject({
      enhancement_id: enhancementId,
      outcome: 'completed',
    });
    const failed = all.filter((l) => l.msg === 'enhancement item failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      level: 40,
      enhancement_id: enhancementId,
      request_id: 'trace-log-lines',
      code: 'source_url_unreachable',
      credits_released: 5,
    });
    expect(ends.map((e) => e.item_id)).toContain(failed[0]?.item_id);
    const attempts = all.filter((l) => l.msg === 'webhook attempt');
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ enhancement_id: enhancementId, outcome: 'delivered', status: 200 });
      expect(String(attempt.event)).toMatch(/^enhancement\./);
      expect(attempt.latency_ms).toBeGreaterThanOrEqual(0);
    }
    expect(attempts.map((a) => a.event)).toEqual(
      expect.arrayContaining([
        'enhancement.item.completed',
        'enhancement.item.failed',
        'enhancement.partially_completed',
      ]),
    );
    // One access line per request, answered.
    const access = all.filter(
      (l) => (l.req as { url?: string } | undefined)?.url === '/api/v1/product-image-enhancements',
    );
    expect(access.map((l) => l.msg)).toEqual(['request completed']);
    expect(access[0]).toMatchObject({
      reqId: 'trace-log-lines',
      route: '/api/v1/product-image-enhancements',
    });
    const log = server.log();
    for (const secret of [key, keySecret(key), sourceSecret, server.adminToken])
      expect(log.includes(secret), `log contains ${secret}`).toBe(false);
    for (const received of hook.received)
      expect(log).not.toContain(String(received.headers['x-aigen-signature']).replace(/^v1=/, ''));
  });
});
