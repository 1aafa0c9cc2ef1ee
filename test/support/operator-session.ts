// Signing in to the operator pages over plain HTTP, as a browser would: the admin token typed into a form once.
import { expect } from 'vitest';
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
