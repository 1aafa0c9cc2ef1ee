import { type ItemErrorCode, itemErrorCatalog } from '../../errors/catalog.ts';
import { type Section, type SystemStatus, systemStatus } from '../../operations/system-status.ts';
import { heading, notice, time } from '../components.ts';
import { type Html, type HtmlValue, html } from '../html.ts';
import type { OperatorContext, OperatorPage, PageView } from '../page.ts';
import { adminView, formatDuration, pathSegment, preciseTime } from './admin-shared.ts';

/**
 * `/admin`: the system status (docs/web.md, "Operator pages") — the readiness of each port from the composition
 * root's probes (what `/readyz` answers), the backends in use, the job queue per job name, and the recent failures:
 * dead jobs, failed enhancement items, webhook events out of retries.
 */
const STATE_CLASS: Record<string, string> = {
  ok: 'active',
  degraded: 'pending_approval',
  failing: 'revoked',
};

const state = (value: string) =>
  html`<span class="status status-${STATE_CLASS[value] ?? 'inactive'}">${value}</span>`;

function unavailable(section: { ok: false; message: string }, what: string): Html {
  return notice('warning', html`Could not read ${what}: <code>${section.message}</code>`);
}

function readiness(status: SystemStatus): Html {
  const rows = [
    ...status.checks.map((c) => ({ ...c, kind: 'port' })),
    ...status.advisories.map((a) => ({ ...a, kind: 'advisory' })),
  ];
  return html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="readiness-heading"><table>
<thead><tr><th scope="col">Component</th><th scope="col">State</th><th scope="col">Details</th></tr></thead>
<tbody>${rows.map(
    (r) =>
      html`<tr><th scope="row">${r.name}${r.kind === 'advisory' ? html` <span class="muted">(advisory)</span>` : null}</th><td>${state(r.state)}</td><td>${r.message ? html`<code class="wrap-anywhere">${r.message}</code>` : html`<span class="muted">—</span>`}</td></tr>`,
  )}</tbody></table></div>`;
}

/** The seed's guidance for an item error code (docs/api.md §3.4), when it is one. */
function handlingOf(code: string | null): Html | null {
  if (!code || !Object.hasOwn(itemErrorCatalog, code)) return null;
  const entry = itemErrorCatalog[code as ItemErrorCode];
  return html`<span class="cell-meta muted">${entry.handling}</span>`;
}

function backends(ctx: OperatorContext): Html {
  const { config } = ctx.services;
  const rows: [string, string][] = [
    ['Store', config.database.kind],
    ['Blobs', config.blobs.kind],
    ['Job queue', config.queue.kind],
    ['Rate limiter', config.limiter.kind],
    ['Mail', config.mail.kind],
  ];
  return html`<dl class="facts">${rows.map(([name, kind]) => html`<dt>${name}</dt><dd><code>${kind}</code></dd>`)}</dl>`;
}

function queueTable(section: SystemStatus['queue']): Html {
  if (!section.ok) return unavailable(section, 'the job queue');
  return html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="queue-heading"><table class="wide numbers">
<thead><tr><th scope="col">Job</th><th scope="col">Waiting</th><th scope="col">Delayed</th><th scope="col">Running</th><th scope="col">Dead</th><th scope="col">Oldest waiting</th></tr></thead>
<tbody>${section.value.map(
    (row) =>
      html`<tr><th scope="row"><code>${row.name}</code></th><td>${row.waiting}</td><td>${row.delayed}</td><td>${row.running}</td><td>${row.dead > 0 ? html`<strong class="danger-text">${row.dead}</strong>` : '0'}</td><td>${row.waiting > 0 ? formatDuration(row.oldestWaitingMs) : html`<span class="muted">—</span>`}</td></tr>`,
  )}</tbody></table></div>`;
}

function failures<T>(
  section: Section<T[]>,
  what: string,
  headingId: string,
  columns: readonly string[],
  /** The row's cells: its header first, then one per further column. */
  cells: (value: T) => readonly HtmlValue[],
): Html {
  if (!section.ok) return unavailable(section, what);
  if (section.value.length === 0) return html`<p class="empty-note">No ${what}.</p>`;
  const row = (value: T) => {
    const [header, ...rest] = cells(value);
    return html`<tr><th scope="row">${header}</th>${rest.map((cell, i) => html`<td data-label="${columns[i + 1]}">${cell}</td>`)}</tr>`;
  };
  return html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="${headingId}"><table class="wide stacked">
<thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
<tbody>${section.value.map(row)}</tbody></table></div>`;
}

async function render(ctx: OperatorContext): Promise<PageView> {
  const status = await systemStatus(ctx.services);
  const ready = status.ready;
  return adminView({
    title: 'System status',
    main: html`${heading('System status', html`Checked ${time(status.checkedAt)}. Reload the page to check again.`)}
${ready ? notice('success', 'Ready: every port answers.') : notice('error', 'Not ready: a port does not answer. /readyz answers 503 while this lasts, so load balancers take this instance out.')}
<section aria-labelledby="readiness-heading"><h2 id="readiness-heading">Readiness</h2>
${readiness(status)}
<h3>Backends</h3>${backends(ctx)}</section>
<section aria-labelledby="queue-heading"><h2 id="queue-heading">Job queue</h2>
<p class="help">Every process together. A growing “oldest waiting” means too few workers.</p>
${queueTable(status.queue)}</section>
<section aria-labelledby="failures-heading"><h2 id="failures-heading">Recent failures</h2>
<h3 id="dead-jobs-heading">Dead jobs</h3>
<p class="help">Jobs out of attempts, kept for inspection (newest first).</p>
${failures(
  status.deadJobs,
  'dead jobs',
  'dead-jobs-heading',
  ['Job', 'Died', 'Attempts', 'Last error'],
  (job) => [
    html`<code>${job.name}</code><span class="cell-meta"><code>${job.id}</code></span>`,
    time(job.diedAt),
    job.attempts,
    html`<code class="wrap-anywhere">${job.error ?? '—'}</code>`,
  ],
)}
<h3 id="failed-items-heading">Failed enhancement items</h3>
${failures(
  status.failedItems,
  'failed enhancement items',
  'failed-items-heading',
  ['Item', 'Failed', 'Error', 'Account'],
  (item) => [
    html`<code>${item.id}</code><span class="cell-meta">of <a href="/admin/webhooks?enhancement_id=${item.enhancement_id}"><code>${item.enhancement_id}</code></a>${item.sandbox ? html` <span class="env env-test">sandbox</span>` : null}</span>`,
    time(item.failed_at),
    html`<code>${item.error_code ?? '—'}</code>${item.error_message ? html`<span class="cell-meta">${item.error_message}</span>` : null}${handlingOf(item.error_code)}`,
    html`<a href="/admin/accounts/${pathSegment(item.account_id)}"><code>${item.account_id}</code></a>`,
  ],
)}
<h3 id="failed-webhooks-heading">Webhook deliveries out of retries</h3>
${failures(
  status.failedDeliveries,
  'failed webhook deliveries',
  'failed-webhooks-heading',
  ['Event', 'Endpoint', 'Attempts', 'Last attempt'],
  (event) => {
    const last = event.attempt_log.at(-1);
    return [
      html`<a href="/admin/webhooks?enhancement_id=${event.enhancement_id}"><code>${event.id}</code></a><span class="cell-meta">${event.type}</span>`,
      html`<code class="wrap-anywhere">${event.endpoint_url}</code>`,
      event.attempts,
      last
        ? html`${last.outcome}${last.status_code ? html` (HTTP ${last.status_code})` : null}<span class="cell-meta">${preciseTime(last.at)}</span>`
        : '—',
    ];
  },
)}
</section>`,
  });
}

export const ADMIN_STATUS_PAGE: OperatorPage = {
  path: '/admin',
  area: 'admin',
  access: 'operator',
  nav: { label: 'System status', order: 10 },
  render,
};
