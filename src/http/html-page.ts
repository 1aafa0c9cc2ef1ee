import { createHash } from 'node:crypto';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}' +
  'button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dd{margin:0}';

/**
 * The Content-Security-Policy of these pages: nothing loads and no script runs (the only inline code is the style
 * below, allowed by its hash); a form may post only back to this server, and no other site may frame the page (a
 * framed approval button could be clicked through an overlay).
 */
const HTML_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Headers of a page behind a signed link: never cached, never leaking its URL (token and signature) onwards. */
export const SIGNED_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'content-security-policy': HTML_PAGE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
};

/** A minimal, self-contained page; every interpolated value is escaped by the caller through `escapeHtml`. */
export function htmlPage(title: string, bodyHtml: string, head = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>${head}
<style>${STYLE}</style>
</head><body>${bodyHtml}</body></html>`;
}
