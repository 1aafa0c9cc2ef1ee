import { countActiveKeys } from '../../accounts/accounts-store.ts';
import { planNamed } from '../../accounts/plans.ts';
import { contactText, formatBytes, heading, notice, time } from '../components.ts';
import { html } from '../html.ts';
import type { OwnerContext, OwnerPage, PageView } from '../page.ts';

/** The dashboard's home: the signed-in account at a glance, where to go next, and the session controls. */
async function render(ctx: OwnerContext): Promise<PageView> {
  const { account, row } = ctx.session;
  const { config, store } = ctx.services;
  const plan = planNamed(config.plans, account.plan);
  const activeKeys = await countActiveKeys(store.db, account.id);
  return {
    title: 'Dashboard',
    main: html`${heading('Dashboard', html`Signed in as <strong>${account.email}</strong>.`)}
${account.suspended ? notice('error', html`This account is suspended: its keys do not work. Contact ${contactText(config)}.`) : null}
${account.payment_risk ? notice('warning', html`This account is restricted for a billing or risk review. Contact ${contactText(config)}.`) : null}
<div class="cards">
<section class="card" aria-labelledby="account-heading"><h2 id="account-heading">Account</h2>
<dl class="facts">
<dt>Email</dt><dd>${account.email} ${account.email_verified ? html`<span class="status status-active">verified</span>` : html`<span class="status status-inactive">not verified</span>`}</dd>
<dt>Plan</dt><dd>${plan.label}: ${plan.uploadsPerMonth.toLocaleString('en-US')} uploads a month, ${formatBytes(plan.storageBytes)} of storage</dd>
<dt>Account id</dt><dd><code>${account.id}</code></dd>
<dt>Created</dt><dd>${time(Number(account.created_at))}</dd>
</dl></section>
<section class="card" aria-labelledby="keys-card-heading"><h2 id="keys-card-heading">API keys</h2>
<p>${activeKeys} active or waiting for approval. Registration policy: <strong>${account.registration_policy}</strong>.</p>
<p><a class="button primary" href="/keys">Manage keys</a></p></section>
<section class="card" aria-labelledby="work-heading"><h2 id="work-heading">Images and enhancements</h2>
<ul><li><a href="/media">Media library</a>: upload, organise, renditions</li><li><a href="/enhancements">Enhancements</a>: product photos on a clean background</li><li><a href="/usage">Usage and credits</a></li></ul></section>
<section class="card" aria-labelledby="start-heading"><h2 id="start-heading">Use the API</h2>
<ul><li><a href="/docs/quick-start">Quick start</a> with <code>curl</code></li><li><a href="/docs/api">API reference</a></li><li><a href="/docs/limits">Plans and limits</a></li></ul></section>
<section class="card" aria-labelledby="session-heading"><h2 id="session-heading">This session</h2>
<p>Signed in ${time(Number(row.created_at))}; it ends after ${config.sessionIdleMinutes} minutes without use, and ${config.sessionMaxHours} hours after sign-in at the latest.</p>
<form method="post" action="/sign-out/everywhere"><input type="hidden" name="csrf" value="${ctx.csrfToken}"><button type="submit">Sign out everywhere</button></form>
<p class="help">Ends every session of this account, on every device.</p></section>
</div>`,
  };
}

export const DASHBOARD_PAGE: OwnerPage = {
  path: '/dashboard',
  area: 'dashboard',
  access: 'owner',
  nav: { label: 'Overview', order: 10 },
  render,
};
