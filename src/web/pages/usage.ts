import { ownerUsage } from '../../accounts/owner-usage.ts';
import { assetUrl } from '../assets.ts';
import { day, formatBytes, heading } from '../components.ts';
import { queryText, shortId } from '../dashboard-parts.ts';
import { type Html, html } from '../html.ts';
import type { OwnerContext, OwnerPage, PageView } from '../page.ts';

/**
 * Usage and credits (docs/web.md): the plan and this month's uploads against its limit, storage, credit balances,
 * charts of uploads per day, storage and credits over the last 30, 90 or 365 days (uPlot, drawn by `usage.js` from
 * `/dashboard/api/usage/series`; each chart's numbers are also a table), and the credits ledger a page at a time.
 */
type Summary = Awaited<ReturnType<typeof ownerUsage.summary>>;
type Ledger = Awaited<ReturnType<typeof ownerUsage.ledger>>;

const RANGES = [30, 90, 365] as const;
const LEDGER_PAGE = 25;
const number = (n: number) => n.toLocaleString('en-US');

function meter(label: string, used: number, limit: number, text: string): Html {
  const id = `meter-${label.toLowerCase().replace(/\W+/g, '-')}`;
  return html`<div class="usage-meter"><div class="usage-meter-label"><span id="${id}">${label}</span><span>${text}</span></div>
<progress max="${limit}" value="${Math.min(used, limit)}" aria-labelledby="${id}">${text}</progress></div>`;
}

function plan(s: Summary): Html {
  const resets = new Date(s.uploads.resets_at * 1000).toISOString().slice(0, 10);
  return html`<section class="card" aria-labelledby="plan-heading"><h2 id="plan-heading">Plan: ${s.plan.label}</h2>
${meter('Uploads this month', s.uploads.used, s.uploads.limit, `${number(s.uploads.used)} of ${number(s.uploads.limit)}`)}
<p class="help">The count starts again on ${resets} (UTC).</p>
${meter('Storage', s.storage.used_bytes, s.storage.limit_bytes, `${formatBytes(s.storage.used_bytes)} of ${formatBytes(s.storage.limit_bytes)}`)}
<p class="help">${s.keys.active} active API key${s.keys.active === 1 ? '' : 's'}. <a href="/docs/limits">Plans and limits</a></p>
</section>`;
}

function credits(s: Summary): Html {
  return html`<section class="card" aria-labelledby="credits-heading"><h2 id="credits-heading">Credits</h2>
<dl class="facts">
<dt>Paid, available</dt><dd><strong>${number(s.credits.paid_available)}</strong></dd>
<dt>Reserved by running batches</dt><dd>${number(s.credits.paid_reserved)}</dd>
<dt>Promotional</dt><dd>${number(s.credits.promotional)}</dd>
<dt>Bought in all</dt><dd>${number(s.credits.lifetime_purchased)}</dd>
</dl>
<p class="help">A live enhancement costs ${s.credits_per_image} credit${s.credits_per_image === 1 ? '' : 's'} per image, reserved when the batch starts and charged per finished image; test keys are free.</p>
</section>`;
}

function charts(days: number): Html {
  const chart = (id: string, title: string, help: string) =>
    html`<figure class="chart" aria-labelledby="${id}-title"><figcaption id="${id}-title"><strong>${title}</strong> <span class="muted">${help}</span></figcaption>
<div class="chart-canvas" id="${id}" data-requires-js hidden role="img" aria-label="${title}, last ${days} days"></div>
<details class="chart-data"><summary>The numbers</summary><div class="table-scroll" id="${id}-table" tabindex="0" role="region" aria-label="${title}, as a table"><p class="muted">Loading…</p></div></details></figure>`;
  return html`<section aria-labelledby="charts-heading" id="charts" data-days="${days}"><h2 id="charts-heading">Over time</h2>
<nav class="env-tabs" aria-label="Chart period"><ul>${RANGES.map(
    (r) =>
      html`<li><a href="/usage?days=${r}#charts-heading"${r === days ? html` aria-current="page"` : null}>${r} days</a></li>`,
  )}</ul></nav>
<div id="charts-status" class="status-region" role="status" aria-live="polite"></div>
<noscript><p>The charts need JavaScript; the numbers are in <code>GET /dashboard/api/usage/series</code>.</p></noscript>
<div class="charts">
${chart('chart-uploads', 'Uploads per day', '(images uploaded that day and still held)')}
${chart('chart-storage', 'Storage', '(the images held now, by the day they arrived)')}
${chart('chart-credits', 'Credits', '(paid available and promotional at the end of each day; spent per day)')}
</div></section>`;
}

function ledger(page: Ledger, before: string | undefined): Html {
  const rows = page.data;
  return html`<section aria-labelledby="ledger-heading"><h2 id="ledger-heading">Credits ledger</h2>
${
  rows.length === 0
    ? html`<p class="empty">No credit movements yet.</p>`
    : html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="ledger-heading"><table class="wide ledger">
<thead><tr><th scope="col">Date</th><th scope="col">Movement</th><th scope="col">Credits</th><th scope="col">Amount</th><th scope="col">Balance after</th><th scope="col">Batch</th></tr></thead>
<tbody>${rows.map(
        (e) =>
          html`<tr><td>${day(Date.parse(e.created_at ?? ''))}</td><td>${e.type}</td><td>${e.kind}</td><td class="num ${e.amount < 0 ? 'negative' : 'positive'}">${e.amount > 0 ? '+' : ''}${number(e.amount)}</td><td class="num">${number(e.balance_after)}</td><td>${e.enhancement_id ? html`<a href="/enhancements/${e.enhancement_id}"><code>${shortId(e.enhancement_id)}</code></a>` : html`<span class="muted">—</span>`}</td></tr>`,
      )}</tbody></table></div>`
}
<p class="help">The balance after a grant, reserve or release is the paid credits available (or the promotional ones); after a charge (consume), the credits still reserved.</p>
<p class="more">${page.next_before ? html`<a class="button" href="/usage?before=${page.next_before}#ledger-heading">Older entries</a>` : null}${before ? html` <a href="/usage#ledger-heading">Newest entries</a>` : null}</p>
</section>`;
}

async function render(ctx: OwnerContext): Promise<PageView> {
  const { account } = ctx.session;
  const requested = Number(queryText(ctx.query, 'days', 3));
  const days = RANGES.find((r) => r === requested) ?? 30;
  const before = queryText(ctx.query, 'before', 64);
  const [summary, page] = await Promise.all([
    ownerUsage.summary(ctx.services, account),
    ownerUsage.ledger(ctx.services, account, { limit: LEDGER_PAGE, ...(before ? { before } : {}) }),
  ]);
  return {
    title: 'Usage and credits',
    scripts: ['usage.js'],
    head: html`<link rel="stylesheet" href="${assetUrl('uplot.css')}">`,
    main: html`${heading('Usage and credits', html`What <strong>${account.email}</strong> has used this month, and its credits.`)}
<div class="cards">${plan(summary)}${credits(summary)}</div>
${charts(days)}
${ledger(page, before)}`,
  };
}

export const USAGE_PAGE: OwnerPage = {
  path: '/usage',
  area: 'dashboard',
  access: 'owner',
  nav: { label: 'Usage and credits', order: 16 },
  render,
};
