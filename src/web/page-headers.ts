/**
 * Headers of every HTML page. The Content-Security-Policy allows only this server's own files: no inline script
 * and no inline style at all (styles are one CSS file, scripts small ES modules), images from this server and the
 * `src` origin, forms posting back here, and no framing (a framed button could be clicked through an overlay).
 * Pages that run no script get no `script-src` at all.
 */
export interface PageHeaderOptions {
  /** Whether the page loads scripts (`script-src 'self'`, `connect-src 'self'`). */
  scripts: boolean;
  /** Origins images may come from besides this server (the `src` base when it is another host). */
  imageOrigins: readonly string[];
  /**
   * `public`: the same for everyone (docs, the viewer); `no-store`: personal, or carrying a one-time link.
   */
  cache: 'public' | 'no-store';
  /** `no-referrer` on pages whose URL is a secret (signed links, sign-in links). */
  referrer?: 'same-origin' | 'no-referrer';
}

function contentSecurityPolicy(options: Pick<PageHeaderOptions, 'scripts' | 'imageOrigins'>): string {
  return [
    "default-src 'none'",
    "style-src 'self'",
    ["img-src 'self' data:", ...options.imageOrigins].join(' '),
    ...(options.scripts ? ["script-src 'self'", "connect-src 'self'"] : []),
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function pageHeaders(options: PageHeaderOptions): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': contentSecurityPolicy(options),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': options.referrer ?? 'same-origin',
    'cache-control': options.cache === 'public' ? 'public, max-age=300' : 'no-store',
  };
}
