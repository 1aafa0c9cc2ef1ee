/**
 * Cross-origin access for browser clients of the two API families (img.pro's own client is a browser library).
 *
 * - Scope: `/v1/…` and `/api/…` only. `/admin/…` never answers CORS, whatever the setting: the operator token
 *   must not be usable from a web page. `src` (and the viewer page) are out of scope too: `<img>` needs no CORS,
 *   and `src` is mostly answered before Fastify by the fast path, which must give the same answer as the route.
 * - `['*']`: `Access-Control-Allow-Origin: *` on every in-scope response (the answer does not depend on the
 *   origin, so no `Vary`). A list: the request's origin is echoed when listed, and every in-scope response says
 *   `Vary: Origin` (listed or not, so a shared cache never hands one origin's answer to another).
 * - Never `Access-Control-Allow-Credentials`: keys travel in `Authorization`, never in cookies.
 */
const CORS_ALLOW_METHODS = 'GET, HEAD, POST, PATCH, DELETE';
const CORS_ALLOW_HEADERS = 'Authorization, Content-Type, Idempotency-Key, X-Request-Id';
const CORS_EXPOSE_HEADERS =
  'X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, X-Request-Id, Location, Idempotent-Replayed';
/** Browsers cap this anyway (Chromium: 2 hours); 10 minutes keeps a changed setting from lingering. */
const CORS_MAX_AGE_SECONDS = 600;

export interface Cors {
  /** Headers for a response to `url` from `origin`; `null` when `url` is out of scope. */
  headers(url: string, origin: string | undefined): Record<string, string> | null;
  /** Headers answering a preflight for `url`; `null` when out of scope. */
  preflight(url: string, origin: string | undefined): Record<string, string> | null;
  /** Whether `url` is one CORS answers for. */
  inScope(url: string): boolean;
}

/** `null` when no origin is allowed (`LIGHTBOX_CORS_ORIGINS` empty): then nothing about CORS is sent at all. */
export function createCors(options: { origins: readonly string[]; srcPath: string }): Cors | null {
  if (options.origins.length === 0) return null;
  const any = options.origins.includes('*');
  const allowed = new Set(options.origins);
  const srcPrefix = options.srcPath === '' ? null : `${options.srcPath}/`;

  const inScope = (url: string): boolean => {
    if (!url.startsWith('/v1/') && !url.startsWith('/api/')) return false;
    return srcPrefix === null || !url.startsWith(srcPrefix);
  };
  const allowedOrigin = (origin: string | undefined): string | null => {
    if (any) return '*';
    return origin !== undefined && allowed.has(origin) ? origin : null;
  };
  const base = (origin: string | undefined): Record<string, string> => {
    const allow = allowedOrigin(origin);
    const headers: Record<string, string> = any ? {} : { vary: 'Origin' };
    if (allow) headers['access-control-allow-origin'] = allow;
    return headers;
  };

  return {
    inScope,
    headers(url, origin) {
      if (!inScope(url)) return null;
      const headers = base(origin);
      if (headers['access-control-allow-origin'])
        headers['access-control-expose-headers'] = CORS_EXPOSE_HEADERS;
      return headers;
    },
    preflight(url, origin) {
      if (!inScope(url)) return null;
      const headers = base(origin);
      if (headers['access-control-allow-origin']) {
        headers['access-control-allow-methods'] = CORS_ALLOW_METHODS;
        headers['access-control-allow-headers'] = CORS_ALLOW_HEADERS;
        headers['access-control-max-age'] = String(CORS_MAX_AGE_SECONDS);
      }
      return headers;
    },
  };
}
