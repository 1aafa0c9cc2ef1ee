// The cookie plugin's types (request.cookies, reply.setCookie); web-routes.ts registers the plugin.
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.ts';
import { AppError } from '../errors/app-error.ts';

/**
 * The session cookie: `HttpOnly` (no script reads it), `SameSite=Lax` (other sites' forms and fetches do not
 * carry it), `Path=/`, and `Secure` when the public URL is HTTPS — then also named with the `__Host-` prefix, which
 * browsers accept only from a secure origin without a `Domain`, so a sibling subdomain cannot plant one. It lives
 * until the session's absolute expiry; the server ends it earlier when idle or signed out.
 */
export interface SessionCookie {
  name: string;
  read(request: FastifyRequest): string | undefined;
  set(reply: FastifyReply, sessionId: string): void;
  clear(reply: FastifyReply): void;
}

export function sessionCookie(config: Pick<Config, 'publicUrl' | 'sessionMaxHours'>): SessionCookie {
  return cookieOf(config.publicUrl, 'lightbox_session', 'lax', config.sessionMaxHours);
}

/**
 * The operator's cookie: its own name, so signing in as an owner and as the operator in one browser keeps both, and
 * neither cookie is ever read as the other. `SameSite=Strict`: no request started by another site — not even a
 * link followed from mail or chat — carries it; such a link asks the operator to sign in again instead.
 */
export function operatorCookie(config: Pick<Config, 'publicUrl' | 'adminSessionMaxHours'>): SessionCookie {
  return cookieOf(config.publicUrl, 'lightbox_operator', 'strict', config.adminSessionMaxHours);
}

function cookieOf(
  publicUrl: string,
  baseName: string,
  sameSite: 'lax' | 'strict',
  maxHours: number,
): SessionCookie {
  const secure = new URL(publicUrl).protocol === 'https:';
  const name = secure ? `__Host-${baseName}` : baseName;
  const base = { path: '/', httpOnly: true, sameSite, secure };
  return {
    name,
    read: (request) => request.cookies[name],
    set(reply, sessionId) {
      reply.setCookie(name, sessionId, { ...base, maxAge: maxHours * 3600 });
    },
    clear(reply) {
      reply.clearCookie(name, base);
    },
  };
}

/**
 * Refuses a state-changing request that a browser sent from another site. Browsers that send `Sec-Fetch-Site` are
 * judged by it alone (`same-origin`, or `none` for what the person did themselves); older ones by `Origin`, which
 * must be the public URL's or the `Host` the request was sent to. Defence in depth beside the CSRF token and
 * `SameSite`; it also covers forms that have no session yet (sign-in), where there is no token to check. Clients
 * that send neither header (curl, tests) are not browsers and pass.
 */
export function refuseCrossSite(request: FastifyRequest, publicUrl: string): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none') return;
    throw crossSite();
  }
  const origin = request.headers.origin;
  if (origin === undefined || origin === new URL(publicUrl).origin) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    throw crossSite();
  }
  if (host !== request.headers.host) throw crossSite();
}

const crossSite = () =>
  new AppError('csrf_token_invalid', { message: 'This request came from another site and was refused.' });
