import type { Environment } from '../accounts/api-key-format.ts';
import { type Html, html } from './html.ts';

/** Fragments the dashboard's media, enhancement and usage pages share (the site-wide ones are in components.ts). */

/** `?env=test` picks the sandbox; anything else is live. */
export const environmentOf = (query: Readonly<Record<string, unknown>>): Environment =>
  query.env === 'test' ? 'test' : 'live';

/** A string query parameter, trimmed and bounded, or undefined. */
export function queryText(query: Readonly<Record<string, unknown>>, name: string, max = 255) {
  const value = query[name];
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text && text.length <= max ? text : undefined;
}

/** Links between the live library and the test (sandbox) one; `path` keeps the page. */
export function environmentTabs(path: string, current: Environment): Html {
  const tab = (env: Environment, label: string) =>
    html`<li><a href="${env === 'live' ? path : `${path}?env=test`}"${env === current ? html` aria-current="page"` : null}>${label}</a></li>`;
  return html`<nav class="env-tabs" aria-label="Environment"><ul>${tab('live', 'Live')}${tab('test', 'Test (sandbox)')}</ul></nav>`;
}

const STATUS_LABELS: Record<string, string> = {
  queued: 'Queued',
  processing: 'Processing',
  completed: 'Completed',
  partially_completed: 'Partly completed',
  failed: 'Failed',
};

/** An enhancement or item status as a badge. */
export const statusBadge = (status: string): Html =>
  html`<span class="status batch-${status}">${STATUS_LABELS[status] ?? status}</span>`;

export const isTerminal = (status: string): boolean =>
  status === 'completed' || status === 'partially_completed' || status === 'failed';

/** Done items of a batch as a bar, with the counts in words (the bar alone says nothing to a screen reader). */
export function batchProgress(e: {
  total_items: number;
  completed_items: number;
  failed_items: number;
}): Html {
  const done = e.completed_items + e.failed_items;
  return html`<div class="batch-progress"><progress max="${e.total_items}" value="${done}" aria-label="Items finished">${done} of ${e.total_items}</progress>
<span class="muted">${done} of ${e.total_items} done${e.failed_items ? html`, <span class="failed-count">${e.failed_items} failed</span>` : null}</span></div>`;
}

/** The first characters of an enhancement id, enough to tell batches apart. */
export const shortId = (id: string): string => id.slice(0, 8);

/** The page's yes/no question (`confirmWith` in dashboard-api.js opens it). */
export const confirmDialog = (): Html =>
  html`<dialog id="confirm-dialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
<form method="dialog" class="stack"><h2 id="confirm-title" class="dialog-title">Are you sure?</h2><p id="confirm-text"></p>
<div class="dialog-buttons"><button value="cancel" type="submit">Cancel</button><button value="confirm" type="submit" class="danger" id="confirm-button">Confirm</button></div></form>
</dialog>`;
