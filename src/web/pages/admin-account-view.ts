import type { operator } from '../../accounts/operator-service.ts';
import { planNamed } from '../../accounts/plans.ts';
import { copyField, day, notice, time } from '../components.ts';
import { type Html, html } from '../html.ts';
import type { OperatorContext } from '../page.ts';
import { csrfField, msOf, pathSegment } from './admin-shared.ts';

/**
 * The sections of an account's operator page (admin-account.ts): its facts, the controls, credits and ledger, its
 * keys. Every change is a small POST form of its own; the handlers live beside the page.
 */
export const LEDGER_PAGE = 50;

type AccountView = Awaited<ReturnType<typeof operator.getAccount>>;
type KeyRow = Awaited<ReturnType<typeof operator.listKeys>>['data'][number];
type LedgerRow = Awaited<ReturnType<typeof operator.ledger>>['data'][number];
export type MintedKey = Awaited<ReturnType<typeof operator.mintKey>>;

export const accountPath = (id: string) => `/admin/accounts/${pathSegment(id)}`;

/** One button in a form of its own: the smallest change the page offers. */
function actionForm(
  ctx: OperatorContext,
  action: string,
  fields: Record<string, string>,
  label: Html | string,
  options: { danger?: boolean; confirm?: string; small?: boolean } = {},
): Html {
  const classes = [options.small ? 'small' : '', options.danger ? 'danger' : ''].filter(Boolean).join(' ');
  return html`<form method="post" action="${action}" class="inline-form"${options.confirm ? html` data-confirm="${options.confirm}"` : null}>${csrfField(ctx)}${Object.entries(
    fields,
  ).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}<button type="submit"${classes ? html` class="${classes}"` : null}>${label}</button></form>`;
}

export function summary(ctx: OperatorContext, account: AccountView): Html {
  const plan = planNamed(ctx.services.config.plans, account.plan);
  return html`<dl class="facts">
<dt>Account id</dt><dd><code>${account.id}</code></dd>
<dt>Created</dt><dd>${time(msOf(account.created_at))}</dd>
<dt>Plan</dt><dd>${plan.label} <span class="muted">(${account.plan})</span></dd>
<dt>Email</dt><dd>${account.email_verified ? html`<span class="status status-active">verified</span>` : html`<span class="status status-inactive">not verified</span>`}</dd>
<dt>Status</dt><dd>${account.suspended ? html`<span class="status status-revoked">suspended</span>` : html`<span class="status status-active">active</span>`} ${account.payment_risk ? html`<span class="status status-pending_approval">payment risk</span>` : null}</dd>
<dt>Registration policy</dt><dd>${account.registration_policy}</dd>
</dl>`;
}

export function controls(ctx: OperatorContext, account: AccountView): Html {
  const update = `${accountPath(account.id)}/update`;
  const { plans } = ctx.services.config;
  return html`<div class="control-grid">
<form method="post" action="${update}" class="stack control">${csrfField(ctx)}
<div class="field"><label for="plan">Plan</label><select id="plan" name="plan">${plans.map(
    (p) =>
      html`<option value="${p.name}"${p.name === account.plan ? html` selected` : null}>${p.label} (${p.uploadsPerMonth.toLocaleString('en-US')} uploads a month)</option>`,
  )}</select></div>
<button type="submit">Change plan</button></form>
<form method="post" action="${update}" class="stack control">${csrfField(ctx)}
<div class="field"><label for="registration-policy">Registration policy</label><select id="registration-policy" name="registration_policy" aria-describedby="registration-policy-help">${(
    ['approval', 'open', 'closed'] as const
  ).map(
    (p) =>
      html`<option value="${p}"${p === account.registration_policy ? html` selected` : null}>${p}</option>`,
  )}</select><p class="help" id="registration-policy-help">What <code>POST /v1/keys</code> does for this address: wait for approval, answer a key at once, or refuse.</p></div>
<button type="submit">Save policy</button></form>
<div class="control stack">
<h3>Suspension</h3>
<p class="help">A suspended account’s keys are refused by both APIs.</p>
${
  account.suspended
    ? actionForm(ctx, update, { suspended: '0' }, 'Lift suspension')
    : actionForm(ctx, update, { suspended: '1' }, 'Suspend account', {
        danger: true,
        confirm: `Suspend ${account.email}? Every key of the account is refused until the suspension is lifted.`,
      })
}
</div>
<div class="control stack">
<h3>Payment risk</h3>
<p class="help">Flagged accounts cannot start live enhancement work.</p>
${
  account.payment_risk
    ? actionForm(ctx, update, { payment_risk: '0' }, 'Clear payment risk')
    : actionForm(ctx, update, { payment_risk: '1' }, 'Flag payment risk', { danger: true })
}
</div>
<div class="control stack">
<h3>Email verification</h3>
<p class="help">Verifying lifts the retention of unverified uploads, as the emailed link does.</p>
${
  account.email_verified
    ? actionForm(ctx, update, { email_verified: '0' }, 'Mark unverified')
    : actionForm(ctx, update, { email_verified: '1' }, 'Mark verified')
}
</div>
<div class="control stack">
<h3>Dashboard sessions</h3>
<p class="help">Signs the owner out of the dashboard on every device.</p>
${actionForm(ctx, `${accountPath(account.id)}/sign-out`, {}, 'End the owner’s sessions', { confirm: `End every dashboard session of ${account.email}?` })}
</div>
</div>`;
}

function ledgerTable(rows: readonly LedgerRow[]): Html {
  if (rows.length === 0) return html`<p class="empty-note">No ledger entries yet.</p>`;
  return html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="ledger-heading"><table class="wide stacked ledger">
<thead><tr><th scope="col">When</th><th scope="col">Entry</th><th scope="col">Amount</th><th scope="col">Balance after</th><th scope="col">Note or enhancement</th></tr></thead>
<tbody>${rows.map(
    (e) =>
      html`<tr><th scope="row">${time(msOf(e.created_at))}</th><td data-label="Entry">${e.type} <span class="muted">${e.kind}</span></td><td class="amount" data-label="Amount">${e.amount > 0 ? `+${e.amount}` : e.amount}</td><td data-label="Balance after">${e.balance_after}</td><td data-label="Note or enhancement">${e.note ?? (e.enhancement_id ? html`<a href="/admin/webhooks?enhancement_id=${e.enhancement_id}"><code>${e.enhancement_id}</code></a>` : html`<span class="muted">—</span>`)}</td></tr>`,
  )}</tbody></table></div>`;
}

export function credits(
  ctx: OperatorContext,
  account: AccountView,
  ledger: readonly LedgerRow[],
  before?: string,
) {
  const c = account.credits;
  const last = ledger.at(-1);
  return html`<dl class="facts balances">
<dt>Paid, available</dt><dd>${c.paid_available.toLocaleString('en-US')}</dd>
<dt>Paid, reserved</dt><dd>${c.paid_reserved.toLocaleString('en-US')}</dd>
<dt>Promotional</dt><dd>${c.promotional.toLocaleString('en-US')}</dd>
<dt>Purchased, all time</dt><dd>${c.lifetime_purchased.toLocaleString('en-US')}</dd>
</dl>
<h3>Grant credits</h3>
<form method="post" action="${accountPath(account.id)}/credits" class="stack">${csrfField(ctx)}
<div class="form-grid">
<div class="field"><label for="grant-amount">Amount</label><input id="grant-amount" name="amount" type="number" inputmode="numeric" min="1" max="1000000000" step="1" required></div>
<div class="field"><label for="grant-kind">Kind</label><select id="grant-kind" name="kind" aria-describedby="grant-kind-help"><option value="purchased">purchased</option><option value="promotional">promotional</option></select><p class="help" id="grant-kind-help">Promotional credits never pay for live work.</p></div>
</div>
<div class="field"><label for="grant-note">Note <span class="muted">(optional, kept in the ledger)</span></label><input id="grant-note" name="note" type="text" maxlength="500" autocomplete="off"></div>
<button type="submit" class="primary">Grant credits</button>
</form>
<h3 id="ledger-heading">Ledger</h3>
${ledgerTable(ledger)}
${before || (ledger.length === LEDGER_PAGE && last) ? html`<p class="pager">${before ? html`<a href="${accountPath(account.id)}#ledger-heading">Newest entries</a>` : null}${ledger.length === LEDGER_PAGE && last ? html`<a href="${accountPath(account.id)}?ledger_before=${last.id}#ledger-heading">Older entries</a>` : null}</p>` : null}`;
}

function keyStatus(key: KeyRow): Html {
  const expired =
    key.expires_at !== null && key.status !== 'revoked' && Date.parse(key.expires_at) <= Date.now();
  const label = expired ? 'expired' : key.status === 'pending_approval' ? 'waiting for approval' : key.status;
  return html`<span class="status status-${expired ? 'expired' : key.status}">${label}</span>`;
}

function keyActions(ctx: OperatorContext, account: AccountView, key: KeyRow): Html {
  const base = `${accountPath(account.id)}/keys/${pathSegment(key.key_id)}`;
  const named = (verb: string) => html`${verb}<span class="visually-hidden"> ${key.name}</span>`;
  return html`<div class="row-actions">${[
    key.status === 'pending_approval'
      ? actionForm(ctx, `${base}/status`, { status: 'active' }, named('Approve'), { small: true })
      : null,
    key.status === 'active'
      ? actionForm(ctx, `${base}/status`, { status: 'inactive' }, named('Deactivate'), { small: true })
      : null,
    key.status === 'inactive'
      ? actionForm(ctx, `${base}/status`, { status: 'active' }, named('Reactivate'), { small: true })
      : null,
    key.status !== 'revoked'
      ? actionForm(ctx, `${base}/status`, { status: 'revoked' }, named('Revoke'), {
          small: true,
          danger: true,
          confirm: `Revoke “${key.name}”? The API refuses it from now on; this cannot be undone.`,
        })
      : null,
    actionForm(ctx, `${base}/delete`, {}, named('Delete'), {
      small: true,
      danger: true,
      confirm: `Delete “${key.name}”? The key stops working and disappears.`,
    }),
  ]}</div>`;
}

export function keysTable(ctx: OperatorContext, account: AccountView, keys: readonly KeyRow[]): Html {
  if (keys.length === 0) return html`<p class="empty-note">This account has no keys.</p>`;
  return html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="keys-heading"><table class="keys">
<thead><tr><th scope="col">Key</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${keys.map(
    (key) => html`<tr>
<th scope="row"><span class="key-name">${key.name}</span><span class="key-meta"><code>${key.hint}</code> <span class="env env-${key.environment}">${key.environment}</span></span></th>
<td data-label="Status">${keyStatus(key)}</td>
<td data-label="Created">${day(msOf(key.created_at))}</td>
<td data-label="Last used">${day(msOf(key.last_used_at))}</td>
<td data-label="Expires">${day(msOf(key.expires_at))}</td>
<td class="actions-cell">${keyActions(ctx, account, key)}</td>
</tr>`,
  )}</tbody></table></div>`;
}

export function mintForm(ctx: OperatorContext, account: AccountView): Html {
  return html`<form method="post" action="${accountPath(account.id)}/keys" class="stack">${csrfField(ctx)}
<div class="form-grid">
<div class="field"><label for="key-name">Name</label><input id="key-name" name="name" type="text" maxlength="64" placeholder="Default" autocomplete="off"></div>
<div class="field"><label for="key-environment">Environment</label><select id="key-environment" name="environment"><option value="live">live</option><option value="test">test (sandbox)</option></select></div>
<div class="field"><label for="key-expiry">Expires <span class="muted">(optional, end of day UTC)</span></label><input id="key-expiry" name="expires_on" type="date"></div>
</div>
<button type="submit">Mint key</button>
</form>`;
}

export function mintedReveal(minted: MintedKey): Html {
  return html`<section class="reveal" aria-labelledby="minted-heading" tabindex="-1" id="minted">
<h3 id="minted-heading">New ${minted.environment} key</h3>
${notice('warning', html`Copy the key now and hand it to the owner: it is shown <strong>once</strong>.`)}
${copyField('API key', minted.key)}
</section>`;
}
