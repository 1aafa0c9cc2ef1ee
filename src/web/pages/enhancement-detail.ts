import { ownerEnhancements } from '../../enhancements/owner-enhancements.ts';
import { ownerDeliveries } from '../../webhooks/owner-deliveries.ts';
import { notice, time } from '../components.ts';
import { batchProgress, isTerminal, shortId, statusBadge } from '../dashboard-parts.ts';
import { type Html, html } from '../html.ts';
import type { OwnerContext, OwnerPage, PageView } from '../page.ts';

/**
 * One batch (docs/web.md): its progress (kept live by `enhancement.js` while it runs), every item with its source
 * and result side by side, a failed item's code with the published retry guidance, warnings, and the webhook
 * deliveries with every attempt and a redeliver button.
 */
type Batch = Awaited<ReturnType<typeof ownerEnhancements.get>>['enhancement'];
type Item = Batch['items'][number];
type Deliveries = Awaited<ReturnType<typeof ownerDeliveries.list>>['data'];

/** Item warnings (`{code, message}`), where the server's item view carries them. */
function warningsOf(item: object): { code: string; message: string }[] {
  const warnings = (item as { warnings?: unknown }).warnings;
  return Array.isArray(warnings)
    ? warnings.filter(
        (w): w is { code: string; message: string } =>
          typeof w?.code === 'string' && typeof w?.message === 'string',
      )
    : [];
}

/** The origin of a source URL the page may show an image from, or null (not http(s), or not a URL). */
function imageOrigin(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

function summary(b: Batch): Html {
  return html`<div id="batch-summary" data-status="${b.status}" data-terminal="${isTerminal(b.status) ? 1 : 0}">
<p class="batch-headline">${statusBadge(b.status)} ${b.sandbox ? html`<span class="env env-test">sandbox</span>` : html`<span class="env env-live">live</span>`}</p>
${batchProgress(b)}
<dl class="facts">
<dt>Key</dt><dd>${b.key ? html`${b.key.name} <code>${b.key.hint}</code>` : html`<span class="muted">deleted</span>`}</dd>
<dt>Preset</dt><dd>${b.preset}, preservation ${b.preservation_level}</dd>
<dt>Credits</dt><dd>${b.sandbox ? 'none (sandbox)' : `${b.credits_used} used of ${b.credits_reserved} reserved`}</dd>
<dt>Created</dt><dd>${time(Date.parse(b.created_at ?? ''))}</dd>
<dt>Finished</dt><dd>${b.completed_at ? time(Date.parse(b.completed_at)) : html`<span class="muted">not yet</span>`}</dd>
${b.webhook_url ? html`<dt>Webhook</dt><dd><code>${b.webhook_url}</code></dd>` : null}
${b.instructions ? html`<dt>Instructions</dt><dd>${b.instructions}</dd>` : null}
</dl>
</div>`;
}

function itemCard(item: Item, index: number): Html {
  const label = item.external_id ? `Image ${index + 1} (${item.external_id})` : `Image ${index + 1}`;
  const warnings = warningsOf(item);
  const after = item.result_url
    ? html`<a href="${item.result_url}"><img src="${item.thumbnail_url ?? item.result_url}" alt="After: ${label}, enhanced" loading="lazy" width="400" height="400"></a>`
    : html`<div class="placeholder">${item.status === 'failed' ? 'No result' : 'Not ready yet'}</div>`;
  return html`<li class="item-card" data-status="${item.status}">
<h3>${label} ${statusBadge(item.status)}</h3>
<div class="before-after">
<figure><figcaption>Before</figcaption><a href="${item.source_url}" rel="noreferrer"><img src="${item.source_url}" alt="Before: ${label}, the source" loading="lazy" referrerpolicy="no-referrer" width="400" height="400"></a></figure>
<figure><figcaption>After</figcaption>${after}</figure>
</div>
${
  item.error_code
    ? html`<div class="item-error" role="note"><p><a href="/docs/errors#item-${item.error_code}"><code>${item.error_code}</code></a> ${item.error_message}</p>${item.error_handling ? html`<p><strong>What to do:</strong> ${item.error_handling}</p>` : null}</div>`
    : null
}
${
  warnings.length
    ? html`<ul class="item-warnings" aria-label="Warnings">${warnings.map(
        (w) => html`<li><code>${w.code}</code> ${w.message}</li>`,
      )}</ul>`
    : null
}
<p class="muted item-source"><span class="visually-hidden">Source: </span><code>${item.source_url}</code></p>
</li>`;
}

const OUTCOMES: Record<string, string> = {
  delivered: 'Delivered',
  http_error: 'HTTP error',
  blocked: 'Blocked',
  timeout: 'Timed out',
  unreachable: 'Unreachable',
};

function deliveries(events: Deliveries, hasWebhook: boolean): Html {
  if (!hasWebhook) {
    return html`<div id="deliveries" data-pending="0"><p class="muted">This batch has no webhook URL.</p></div>`;
  }
  if (events.length === 0) {
    return html`<div id="deliveries" data-pending="1"><p class="muted">No events yet.</p></div>`;
  }
  const pending = events.some((e) => e.status === 'pending');
  return html`<div id="deliveries" data-pending="${pending ? 1 : 0}"><ul class="deliveries">${events.map(
    (e) => html`<li class="delivery" data-event-id="${e.id}">
<div class="delivery-head"><code>${e.type}</code> <span class="status delivery-${e.status}">${e.status}</span> <span class="muted">${e.attempts} attempt${e.attempts === 1 ? '' : 's'}${e.next_attempt_at && e.status === 'pending' ? html`, next ${time(Date.parse(e.next_attempt_at))}` : null}</span>
<button type="button" class="small redeliver" data-requires-js hidden data-event-id="${e.id}">Redeliver<span class="visually-hidden"> ${e.type}</span></button></div>
${
  e.attempt_log.length
    ? html`<div class="table-scroll" tabindex="0" role="region" aria-label="Attempts of ${e.type}"><table class="wide attempts"><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Outcome</th><th scope="col">Status</th><th scope="col">Time</th><th scope="col">Detail</th></tr></thead><tbody>${e.attempt_log.map(
        (a) =>
          html`<tr><td>${a.attempt}</td><td>${a.at ? time(Date.parse(a.at)) : null}</td><td>${OUTCOMES[a.outcome] ?? a.outcome}</td><td>${a.status_code ?? '—'}</td><td>${a.latency_ms} ms</td><td>${a.error ?? a.response_excerpt ?? ''}</td></tr>`,
      )}</tbody></table></div>`
    : null
}
</li>`,
  )}</ul></div>`;
}

async function render(ctx: OwnerContext): Promise<PageView> {
  const { account } = ctx.session;
  const id = ctx.params.id ?? '';
  const { enhancement: b } = await ownerEnhancements.get(ctx.services, account, id);
  const events = b.webhook_url ? (await ownerDeliveries.list(ctx.services, account, b.id)).data : [];
  const origins = [...new Set(b.items.map((i) => imageOrigin(i.source_url)).filter((o) => o !== null))];
  const back = b.environment === 'test' ? '/enhancements?env=test' : '/enhancements';
  return {
    title: `Batch ${shortId(b.id)}`,
    scripts: ['enhancement.js'],
    imageOrigins: origins,
    main: html`<p class="breadcrumb"><a href="${back}">← Enhancements</a></p>
<h1>Batch <code>${shortId(b.id)}</code></h1>
<div id="batch-status" class="status-region" role="status" aria-live="polite"></div>
<section aria-label="Summary" data-enhancement-id="${b.id}" id="batch">${summary(b)}</section>
<noscript>${isTerminal(b.status) ? null : notice('info', html`This batch is still running: <a href="/enhancements/${b.id}">reload</a> to see its progress.`)}</noscript>
<section aria-labelledby="items-heading"><h2 id="items-heading">Items</h2>
<ol id="batch-items" class="items">${b.items.map(itemCard)}</ol></section>
<section aria-labelledby="deliveries-heading"><h2 id="deliveries-heading">Webhook deliveries</h2>
${deliveries(events, b.webhook_url !== null)}</section>`,
  };
}

export const ENHANCEMENT_DETAIL_PAGE: OwnerPage = {
  path: '/enhancements/:id',
  area: 'dashboard',
  access: 'owner',
  render,
};
