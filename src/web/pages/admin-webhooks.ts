import type { WebhookEventsTable } from '../../store/database.ts';
import { listDeliveries, redeliver } from '../../webhooks/webhook-admin.ts';
import { heading } from '../components.ts';
import { type Html, html } from '../html.ts';
import type { FormDef, OperatorContext, OperatorPage, PageOutput, PageView } from '../page.ts';
import {
  adminView,
  csrfField,
  doneNotice,
  pathSegment,
  preciseTime,
  type Refusal,
  refusalNotice,
  refusalOf,
} from './admin-shared.ts';

/**
 * `/admin/webhooks`: webhook events newest first with every delivery attempt (outcome, HTTP status, latency, error,
 * the start of the receiver's answer), narrowed by enhancement, account or status, and a Redeliver button per event
 * (the same event id and body, sent again now: webhook-admin.ts, as `/admin/v1`'s redeliver).
 */
const PATH = '/admin/webhooks';
const LIMIT = 50;
const STATUSES = [
  'pending',
  'delivered',
  'failed',
] as const satisfies readonly WebhookEventsTable['status'][];

type Filter = { enhancement_id?: string; account_id?: string; status?: WebhookEventsTable['status'] };
type Event = Awaited<ReturnType<typeof listDeliveries>>['data'][number];

const DONE = { redelivered: 'Redelivery queued: the event is sent again now. Reload to see the attempt.' };

const STATUS_CLASS: Record<string, string> = {
  delivered: 'active',
  pending: 'pending_approval',
  failed: 'revoked',
};

function filterOf(source: Readonly<Record<string, unknown>>): Filter {
  const text = (name: string) => {
    const value = source[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, 64) : undefined;
  };
  const status = STATUSES.find((s) => s === source.status);
  const enhancementId = text('enhancement_id');
  const accountId = text('account_id');
  return {
    ...(enhancementId ? { enhancement_id: enhancementId } : {}),
    ...(accountId ? { account_id: accountId } : {}),
    ...(status ? { status } : {}),
  };
}

const queryOf = (filter: Filter, extra: Record<string, string> = {}) => {
  const params = new URLSearchParams({ ...filter, ...extra }).toString();
  return params ? `${PATH}?${params}` : PATH;
};

function attempts(event: Event): Html {
  if (event.attempt_log.length === 0) return html`<p class="empty-note">No attempt yet.</p>`;
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label="Attempts of ${event.id}"><table class="wide stacked">
<thead><tr><th scope="col">#</th><th scope="col">At</th><th scope="col">Outcome</th><th scope="col">HTTP</th><th scope="col">Latency</th><th scope="col">Error or answer</th></tr></thead>
<tbody>${event.attempt_log.map(
    (a) =>
      html`<tr><th scope="row"><span class="visually-hidden">Attempt </span>${a.attempt}</th><td data-label="At">${preciseTime(a.at)}</td><td data-label="Outcome">${a.outcome}</td><td data-label="HTTP">${a.status_code ?? '—'}</td><td data-label="Latency">${a.latency_ms} ms</td><td data-label="Error or answer">${a.error || a.response_excerpt ? html`<code class="wrap-anywhere">${a.error ?? a.response_excerpt}</code>` : html`<span class="muted">—</span>`}</td></tr>`,
  )}</tbody></table></div>`;
}

function eventCard(ctx: OperatorContext, event: Event, filter: Filter): Html {
  return html`<article class="card webhook-event" id="event-${event.id}" aria-labelledby="event-${event.id}-heading">
<div class="event-head"><h2 id="event-${event.id}-heading" class="event-title"><code>${event.type}</code></h2>
<span class="status status-${STATUS_CLASS[event.status] ?? 'inactive'}">${event.status}</span></div>
<dl class="facts">
<dt>Event</dt><dd><code>${event.id}</code></dd>
<dt>Enhancement</dt><dd><a href="${queryOf({ enhancement_id: event.enhancement_id })}"><code>${event.enhancement_id}</code></a></dd>
<dt>Account</dt><dd><a href="/admin/accounts/${pathSegment(event.account_id)}"><code>${event.account_id}</code></a></dd>
<dt>Endpoint</dt><dd><code class="wrap-anywhere">${event.endpoint_url}</code></dd>
<dt>Created</dt><dd>${preciseTime(event.created_at)}</dd>
${event.delivered_at ? html`<dt>Delivered</dt><dd>${preciseTime(event.delivered_at)}</dd>` : null}
${event.next_attempt_at && event.status === 'pending' ? html`<dt>Next attempt</dt><dd>${preciseTime(event.next_attempt_at)}</dd>` : null}
</dl>
<h3 class="attempts-title">${event.attempts} attempt${event.attempts === 1 ? '' : 's'}</h3>
${attempts(event)}
<form method="post" action="${PATH}/${pathSegment(event.id)}/redeliver" class="inline-form">${csrfField(ctx)}${Object.entries(
    filter,
  ).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}<button type="submit">Redeliver<span class="visually-hidden"> ${event.id}</span></button></form>
</article>`;
}

async function renderList(ctx: OperatorContext, refusal?: Refusal): Promise<PageView> {
  const filter = filterOf(ctx.query);
  const { data } = await listDeliveries(ctx.services.store, { ...filter, limit: LIMIT });
  const field = (name: 'enhancement_id' | 'account_id', label: string) =>
    html`<div class="field"><label for="filter-${name}">${label}</label><input id="filter-${name}" name="${name}" type="text" value="${filter[name] ?? ''}" maxlength="64" autocomplete="off" spellcheck="false"></div>`;
  return adminView({
    ...(refusal ? { status: refusal.status } : {}),
    title: 'Webhook deliveries',
    main: html`${heading('Webhook deliveries', 'Enhancement webhook events, newest first, with every attempt.')}
${refusalNotice(refusal)}
${doneNotice(ctx.query, DONE)}
<form method="get" action="${PATH}" class="stack filters" role="search" aria-label="Filter deliveries">
<div class="form-grid">
${field('enhancement_id', 'Enhancement id')}
${field('account_id', 'Account id')}
<div class="field"><label for="filter-status">Status</label><select id="filter-status" name="status"><option value="">any</option>${STATUSES.map(
      (s) => html`<option value="${s}"${filter.status === s ? html` selected` : null}>${s}</option>`,
    )}</select></div>
</div>
<button type="submit" class="primary">Filter</button>${Object.keys(filter).length > 0 ? html` <a href="${PATH}" class="button">Clear</a>` : null}
</form>
${data.length === 0 ? html`<p class="empty-note">No webhook events${Object.keys(filter).length > 0 ? ' match' : ' yet'}.</p>` : html`<div class="event-list">${data.map((e) => eventCard(ctx, e, filter))}</div>`}
${data.length === LIMIT ? html`<p class="help">The newest ${LIMIT} events; narrow the filter to see others.</p>` : null}`,
  });
}

async function redeliverEvent(
  ctx: OperatorContext,
  fields: Readonly<Record<string, string>>,
): Promise<PageOutput> {
  const filter = filterOf(fields);
  const id = ctx.params.id ?? '';
  try {
    await redeliver(ctx.services, id);
  } catch (error) {
    return renderList({ ...ctx, query: filter }, refusalOf(error));
  }
  return { redirect: `${queryOf(filter, { done: 'redelivered' })}#event-${id}`, status: 303 };
}

export const ADMIN_WEBHOOKS_PAGE: OperatorPage = {
  path: PATH,
  area: 'admin',
  access: 'operator',
  nav: { label: 'Webhook deliveries', order: 40 },
  render: (ctx) => renderList(ctx),
};

export const ADMIN_WEBHOOKS_FORMS: readonly FormDef[] = [
  { path: `${PATH}/:id/redeliver`, area: 'admin', access: 'operator', handle: redeliverEvent },
];
