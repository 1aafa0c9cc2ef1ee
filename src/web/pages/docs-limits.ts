import { formatBytes, heading } from '../components.ts';
import { html } from '../html.ts';
import type { PageContext, PageView, PublicPage } from '../page.ts';

/** `/docs/limits`: this server's plans and limits, read from its settings (so they are never out of date). */
function render(ctx: PageContext): PageView {
  const c = ctx.services.config;
  const mb = (n: number) => formatBytes(n * 1024 * 1024);
  const row = (what: string, limit: string | number) =>
    html`<tr><th scope="row">${what}</th><td>${limit}</td></tr>`;
  const table = (label: string, rows: ReturnType<typeof row>[]) =>
    html`<div class="table-scroll" tabindex="0" role="region" aria-label="${label}"><table><thead><tr><th scope="col">Limit</th><th scope="col">Value</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  return {
    title: 'Limits',
    main: html`${heading('Limits', 'The plans and limits of this server, as its operator configured them.')}
<h2 id="plans">Plans</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Plans"><table>
<thead><tr><th scope="col">Plan</th><th scope="col">Uploads a month</th><th scope="col">Storage</th></tr></thead>
<tbody>${c.plans.map(
      (p) =>
        html`<tr><th scope="row">${p.label}${p.name === c.defaultPlan ? html` <span class="muted">(new accounts)</span>` : null}</th><td>${p.uploadsPerMonth.toLocaleString('en-US')}</td><td>${formatBytes(p.storageBytes)}</td></tr>`,
    )}</tbody></table></div>
<p>Months are calendar months in UTC. Deleting an image frees its storage, not the month's upload count.</p>
<h2 id="hosting">Hosting</h2>
${table('Hosting limits', [
  row('Upload size with a key', mb(c.maxUploadMb)),
  row('SVG upload size', mb(c.maxSvgMb)),
  row('Upload size without a key', mb(c.maxAnonUploadMb)),
  row('Pixels per image (frame)', c.maxPixels.toLocaleString('en-US')),
  row('Animation frames', c.maxFrames.toLocaleString('en-US')),
  row('Uploads without a key, per IP', `${c.anonPerHour} an hour, ${c.anonPerDay} a day`),
  row('Uploads without a key are kept', `${c.anonRetentionDays} days`),
  row(
    'Uploads of unverified accounts are kept',
    `${c.unverifiedRetentionDays} days, until the email is verified`,
  ),
  row('Distinct renditions per image', c.renditionsPerMedia),
  row('New renditions per IP', `${c.uncachedRenditionsPerMinute} a minute (cached ones are free)`),
])}
<h2 id="keys">Keys</h2>
${table('Key limits', [
  row('POST /v1/keys per email', `${c.keysPerEmailPerHour} an hour`),
  row('POST /v1/keys per IP', `${c.keysPerIpPerHour} an hour`),
  row('Active keys of an unverified account', c.unverifiedMaxKeys),
  row('Active keys made in the dashboard', c.dashboardMaxActiveKeys),
  row('Keys created in the dashboard', `${c.dashboardKeysPerHour} an hour, ${c.dashboardKeysPerDay} a day`),
  row('Sign-in links', `${c.signInPerEmailPerHour} an hour per email, ${c.signInPerIpPerHour} per IP`),
])}
<h2 id="enhancement">Enhancement</h2>
${table('Enhancement limits', [
  row('Images per batch', 20),
  row('Credits per image (live keys)', c.creditsPerImage),
  row('Credits bought before live API access', c.apiMinLifetimePurchased),
  row('Batches running at once', `${c.activePerKey} per key, ${c.activePerAccount} per account`),
  row('Create requests', `${c.createsPerMinute} a minute per key`),
  row('Read requests', `${c.readsPerMinute} a minute per key`),
  row('Source image', 'JPEG, PNG or WebP, up to 10 MB, 10 s to download, 3 redirects'),
])}
<p>Rate limits allow a burst up to the limit, then one request per period ÷ limit. A refused request says when to retry (<code>Retry-After</code>).</p>`,
  };
}

export const LIMITS_PAGE: PublicPage = {
  path: '/docs/limits',
  area: 'docs',
  access: 'public',
  nav: { label: 'Limits', order: 50 },
  render,
};
