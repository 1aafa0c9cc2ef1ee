// Signing in to the dashboard over plain HTTP, as a browser would: the form, the mailed link, its Continue button.
import { expect } from 'vitest';
import { outbox } from './fixtures.ts';
import type { RequestOptions, TestResponse, TestServer } from './test-server.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' } as const;
/** What a browser navigating to a page sends. */
export const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

export const postForm = (
  server: TestServer,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TestResponse> =>
  server.request('POST', path, {
    body: new URLSearchParams(fields).toString(),
    headers: { ...FORM, accept: BROWSER_ACCEPT, ...headers },
  });

/** The newest sign-in link mailed to `email`, or undefined. */
export async function newestSignInLink(server: TestServer, email: string): Promise<string | undefined> {
  const links = (await outbox(server, email)).flatMap((m) => m.links).filter((l) => l.rel === 'sign-in');
  return links[0]?.url;
}

/** `name=value` of the session cookie a response sets, or undefined. */
export function sessionCookieOf(response: TestResponse): { pair: string; attributes: string } | undefined {
  const setCookie = response.headers.getSetCookie().find((c) => /^(__Host-)?lightbox_session=/.test(c));
  if (!setCookie) return undefined;
  const [pair = '', ...attributes] = setCookie.split(';');
  return { pair: pair.trim(), attributes: attributes.join(';').trim() };
}

export const tokenOf = (link: string): string => new URL(link).searchParams.get('token') ?? '';

export interface WebSession {
  cookie: string;
  csrf: string;
  /** A request with the session cookie (and, unless `csrf: false`, the CSRF header). */
  request(
    method: string,
    path: string,
    init?: RequestOptions & { csrf?: string | false },
  ): Promise<TestResponse>;
}

/** The session's CSRF token, as an owner page hands it to scripts. */
export async function csrfOf(server: TestServer, cookie: string): Promise<string> {
  const page = await server.request('GET', '/dashboard', { headers: { cookie } });
  expect(page.status, page.text).toBe(200);
  const token = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1];
  expect(token, 'csrf meta tag').toBeDefined();
  return token as string;
}

/** Requests a link for `email`, spends it, and returns the signed-in session. */
export async function signIn(
  server: TestServer,
  email: string,
  previousCookie?: string,
): Promise<WebSession> {
  const asked = await postForm(server, '/sign-in', { email });
  expect(asked.status, asked.text).toBe(200);
  const link = await newestSignInLink(server, email);
  expect(link, `sign-in link mailed to ${email}`).toBeDefined();
  const spent = await postForm(
    server,
    '/sign-in/continue',
    { token: tokenOf(link as string) },
    previousCookie ? { cookie: previousCookie } : {},
  );
  expect(spent.status, spent.text).toBe(303);
  const cookie = sessionCookieOf(spent)?.pair;
  expect(cookie, 'session cookie').toBeDefined();
  return sessionFor(server, cookie as string, await csrfOf(server, cookie as string));
}

function sessionFor(server: TestServer, cookie: string, csrf: string): WebSession {
  return {
    cookie,
    csrf,
    request(method, path, init = {}) {
      const { csrf: token = csrf, ...rest } = init;
      return server.request(method, path, {
        ...rest,
        headers: {
          cookie,
          accept: 'application/json',
          ...(token === false ? {} : { 'x-csrf-token': token }),
          ...rest.headers,
        },
      });
    },
  };
}
