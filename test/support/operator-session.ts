// Signing in to the operator pages over plain HTTP, as a browser would: the admin token typed into a form once.
import { expect } from 'vitest';
import { eventually } from './eventually.ts';
import { type AccountView, createAccount, mintKey } from './fixtures.ts';
import type { RequestOptions, TestResponse, TestServer } from './test-server.ts';
import { BROWSER_ACCEPT, postForm } from './web-session.ts';

/** `name=value` and the attributes of the operator cookie a response sets, or undefined. */
export function operatorCookieOf(response: TestResponse): { pair: string; attributes: string } | undefined {
  const setCookie = response.headers.getSetCookie().find((c) => /^(__Host-)?lightbox_operator=/.test(c));
  if (!setCookie) return undefined;
  const [pair = '', ...attributes] = setCookie.split(';');
  return { pair: pair.trim(), attributes: attributes.join(';').trim() };
}

export interface OperatorSession {
  cookie: string;
  csrf: string;
  /** A page request (as a browser navigates) with the operator cookie. */
  page(path: string, headers?: Record<string, string>): Promise<TestResponse>;
  /** A form post with the operator cookie and, unless `csrf: false` or another value, the session's token. */
  form(
    path: string,
    fields?: Record<string, string>,
    options?: { csrf?: string | false },
  ): Promise<TestResponse>;
  request(method: string, path: string, init?: RequestOptions): Promise<TestResponse>;
}

/** The CSRF token an operator page hands to forms and scripts. */
export async function operatorCsrfOf(server: TestServer, cookie: string): Promise<string> {
  const page = await server.request('GET', '/admin/accounts', {
    headers: { cookie, accept: BROWSER_ACCEPT },
  });
  expect(page.status, page.text).toBe(200);
  const token = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1];
  expect(token, 'csrf meta tag').toBeDefined();
  return token as string;
}

/** Signs in with the server's admin token (sending the browser's previous operator cookie, if any). */
export async function operatorSignIn(server: TestServer, previousCookie?: string): Promise<OperatorSession> {
  const signedIn = await postForm(
    server,
    '/admin/sign-in',
    { token: server.adminToken },
    previousCookie ? { cookie: previousCookie } : {},
  );
  expect(signedIn.status, signedIn.text).toBe(303);
  const cookie = operatorCookieOf(signedIn)?.pair;
  expect(cookie, 'operator cookie').toBeDefined();
  return operatorSessionFor(server, cookie as string, await operatorCsrfOf(server, cookie as string));
}

export function operatorSessionFor(server: TestServer, cookie: string, csrf: string): OperatorSession {
  return {
    cookie,
    csrf,
    page: (path, headers = {}) =>
      server.request('GET', path, { headers: { cookie, accept: BROWSER_ACCEPT, ...headers } }),
    form: (path, fields = {}, options = {}) => {
      const token = options.csrf === undefined ? csrf : options.csrf;
      return postForm(server, path, token === false ? fields : { csrf: token, ...fields }, { cookie });
    },
    request: (method, path, init = {}) =>
      server.request(method, path, { ...init, headers: { cookie, ...init.headers } }),
  };
}

/**
 * A sandbox enhancement of a new account whose webhook receiver (`receiverUrl`, refusing every attempt) never
 * accepts: its events end `failed` after the retries (set LIGHTBOX_WEBHOOK_RETRY_DELAYS short). The item fails on
 * purpose (`#simulate=provider_error`), so the status page has a failed item too.
 */
export async function failedWebhookEvent(
  server: TestServer,
  options: { sourceBase: string; receiverUrl: string },
): Promise<{ account: AccountView; key: string; enhancementId: string; eventId: string }> {
  const account = await createAccount(server, { verified: true });
  const key = (await mintKey(server, account.id, { environment: 'test' })).key;
  const created = await server.request('POST', '/api/v1/product-image-enhancements', {
    key,
    headers: { 'idempotency-key': `operator-${crypto.randomUUID()}` },
    json: {
      images: [{ source_url: `${options.sourceBase}/ok.jpg#simulate=provider_error` }],
      webhook_url: options.receiverUrl,
    },
  });
  expect(created.status, created.text).toBe(201);
  const enhancementId = created.body.enhancement.id as string;
  const events = await eventually(
    () =>
      server.services.store.db
        .selectFrom('webhook_events')
        .selectAll()
        .where('enhancement_id', '=', enhancementId)
        .execute(),
    (rows) => rows.length > 0 && rows.every((r) => r.status === 'failed'),
    30_000,
  );
  expect(events.map((e) => e.status)).toContain('failed');
  return { account, key, enhancementId, eventId: events[0]?.id as string };
}
