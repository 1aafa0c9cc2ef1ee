import { type CodeFamily, catalog, type ErrorCode, itemErrorCatalog } from '../../errors/catalog.ts';
import { heading } from '../components.ts';
import { type Html, html } from '../html.ts';
import type { PageView, PublicPage } from '../page.ts';

/** `/docs/errors`: every code of the error catalog, by family, with its status, message and what to do. */
const SECTIONS: readonly { family: CodeFamily; id: string; title: string; intro: string }[] = [
  {
    family: 'hosting',
    id: 'hosting',
    title: 'Hosting (/v1)',
    intro:
      'Flat envelope: {"error": "<code>", "message": …, "action"?, "usage"?, "errors"?, "retry_after"?, "request_id"}.',
  },
  {
    family: 'enhancement',
    id: 'enhancement',
    title: 'Enhancement (/api/v1) and operator (/admin/v1)',
    intro: 'Nested envelope: {"error": {"code", "message", "request_id"}}; Retry-After travels as a header.',
  },
  { family: 'shared', id: 'shared', title: 'Both families', intro: 'Native to both envelopes.' },
  { family: 'admin', id: 'operator', title: 'Operator API (/admin/v1)', intro: 'Nested envelope.' },
  {
    family: 'web',
    id: 'dashboard',
    title: 'Dashboard (/dashboard/api)',
    intro: 'Nested envelope; browsers get the same errors as HTML pages.',
  },
];

function table(codes: readonly ErrorCode[]): Html {
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label="Error codes"><table class="wide">
<thead><tr><th scope="col">Code</th><th scope="col">Status</th><th scope="col">Message</th><th scope="col">What to do</th></tr></thead>
<tbody>${codes.map((code) => {
    const entry = catalog[code];
    return html`<tr id="${code}"><th scope="row"><code>${code}</code></th><td>${entry.status}</td><td>${entry.message}</td><td>${entry.handling}${
      'hosting' in entry && entry.hosting
        ? html`<br><span class="muted">On /v1 routes: <code>${entry.hosting.code}</code></span>`
        : null
    }</td></tr>`;
  })}</tbody></table></div>`;
}

function render(): PageView {
  const codes = Object.keys(catalog) as ErrorCode[];
  return {
    title: 'Errors',
    main: html`${heading('Errors', 'Every error this server answers comes from one catalog. Every error body carries a request id, also sent as the X-Request-Id header: quote it when reporting a problem.')}
${SECTIONS.map(
  (s) =>
    html`<h2 id="${s.id}">${s.title}</h2><p>${s.intro}</p>${table(codes.filter((c) => catalog[c].family === s.family))}`,
)}
<h2 id="item-codes">Enhancement item error codes</h2>
<p>Never an HTTP status: the <code>error_code</code> of a failed item in a batch and in <code>enhancement.item.failed</code> webhooks. The item's credits are released.</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="Item error codes"><table class="wide">
<thead><tr><th scope="col">Code</th><th scope="col">Message</th><th scope="col">What to do</th></tr></thead>
<tbody>${Object.entries(itemErrorCatalog).map(
      ([code, entry]) =>
        // `item-` keeps the anchors unique: `content_policy_violation` is an HTTP code and an item code.
        html`<tr id="item-${code}"><th scope="row"><code>${code}</code></th><td>${entry.message}</td><td>${entry.handling}</td></tr>`,
    )}</tbody></table></div>`,
  };
}

export const ERRORS_PAGE: PublicPage = {
  path: '/docs/errors',
  area: 'docs',
  access: 'public',
  nav: { label: 'Errors', order: 20 },
  render,
};
