import type { Config } from '../config/config.ts';
import { type Html, type HtmlValue, html } from './html.ts';

/** Small pieces pages share. Each returns `Html`, escaping what it is given. */

let ids = 0;
/** A page-unique id for label/aria wiring (unique within a process; pages need only uniqueness within one page). */
function uniqueId(prefix: string): string {
  ids = (ids + 1) % 1_000_000;
  return `${prefix}-${ids}`;
}

export function heading(title: string, lead?: HtmlValue): Html {
  return html`<h1>${title}</h1>${lead ? html`<p class="lead">${lead}</p>` : null}`;
}

/** A code sample with a copy button (the button needs copy.js; the text stays selectable without it). */
export function codeBlock(code: string, label: string): Html {
  const id = uniqueId('code');
  return html`<div class="code-block"><pre id="${id}" tabindex="0" aria-label="${label}"><code>${code}</code></pre><button type="button" class="copy-button" data-copy-target="${id}">Copy</button></div>`;
}

/** A read-only value with a copy button (links, snippets, a new key). */
export function copyField(
  label: string,
  value: string,
  options: { multiline?: boolean; id?: string } = {},
): Html {
  const id = options.id ?? uniqueId('field');
  const input = options.multiline
    ? html`<textarea id="${id}" readonly rows="3" spellcheck="false">${value}</textarea>`
    : html`<input id="${id}" type="text" readonly value="${value}" spellcheck="false">`;
  return html`<div class="copy-field"><label for="${id}">${label}</label><div class="copy-row">${input}<button type="button" class="copy-button" data-copy-target="${id}" aria-label="Copy ${label}">Copy</button></div></div>`;
}

export function notice(kind: 'info' | 'success' | 'warning' | 'error', content: HtmlValue): Html {
  const role = kind === 'error' || kind === 'warning' ? 'alert' : 'status';
  return html`<div class="notice notice-${kind}" role="${role}">${content}</div>`;
}

/** "What now" links at the end of a page. */
export function nextSteps(links: readonly { href: string; label: string; primary?: boolean }[]): Html {
  return html`<ul class="next-steps">${links.map(
    (l) => html`<li><a class="button${l.primary ? ' primary' : ''}" href="${l.href}">${l.label}</a></li>`,
  )}</ul>`;
}

/** How to reach a human: LIGHTBOX_SUPPORT_URL / LIGHTBOX_SUPPORT_EMAIL, or the operator in general terms. */
export function contactText(config: Pick<Config, 'supportUrl' | 'supportEmail'>): Html {
  const ways = [
    config.supportUrl ? html`<a href="${config.supportUrl}">the support page</a>` : null,
    config.supportEmail ? html`<a href="mailto:${config.supportEmail}">${config.supportEmail}</a>` : null,
  ].filter((w): w is Html => w !== null);
  if (ways.length === 0) return html`the operator of this Lightbox server`;
  return ways.length === 2 ? html`${ways[0]} or ${ways[1]}` : (ways[0] as Html);
}

/** `j***@example.com`: enough for the owner to recognise, not enough to harvest. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** `2025-01-31 14:05 UTC`: one unambiguous form for every date a page shows. */
export function formatInstant(ms: number | null): string {
  if (ms === null) return '—';
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

/** A `<time>` element: the readable form, and the ISO instant for machines (and the browser script). */
export function time(ms: number | null): Html {
  if (ms === null) return html`<span class="muted">never</span>`;
  return html`<time datetime="${new Date(ms).toISOString()}">${formatInstant(ms)}</time>`;
}

/** A day in a table: `2025-01-31`, the full instant in the tooltip and for machines. */
export function day(ms: number | null, none = 'never'): Html {
  if (ms === null) return html`<span class="muted">${none}</span>`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}" title="${formatInstant(ms)}">${iso.slice(0, 10)}</time>`;
}
