import type { keyView } from '../../accounts/account-view.ts';
import { ownerKeys } from '../../accounts/owner-keys.ts';
import type { ApiKeysTable } from '../../store/database.ts';
import { day, heading, notice } from '../components.ts';
import { type Html, html } from '../html.ts';
import type { OwnerContext, OwnerPage, PageView } from '../page.ts';

/**
 * The dashboard's key page (docs/web.md): the account's keys, and — with JavaScript, through the dashboard's JSON
 * endpoints — create (the key and its webhook secret shown once), deactivate, reactivate, revoke, delete, approve,
 * and the registration policy. Rendered here in full, so it reads without JavaScript; `keys.js` refreshes the
 * table by fetching this page again, so the markup has one source.
 */
type KeyRow = ReturnType<typeof keyView>;

const STATUS_LABEL: Record<ApiKeysTable['status'], string> = {
  active: 'Active',
  inactive: 'Inactive',
  pending_approval: 'Waiting for approval',
  revoked: 'Revoked',
};

const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));

function statusOf(key: KeyRow, now: number): { label: string; kind: string } {
  const expires = ms(key.expires_at);
  if (key.status !== 'revoked' && expires !== null && expires <= now)
    return { label: 'Expired', kind: 'expired' };
  return { label: STATUS_LABEL[key.status], kind: key.status };
}

function actionButton(key: KeyRow, action: string, label: string, danger = false): Html {
  return html`<button type="button" class="small${danger ? ' danger' : ''}" data-action="${action}" data-key-id="${key.key_id}" data-key-name="${key.name}">${label}<span class="visually-hidden"> ${key.name}</span></button>`;
}

function actions(key: KeyRow): Html {
  return html`<div class="row-actions" data-requires-js hidden>${[
    key.status === 'pending_approval' ? actionButton(key, 'approve', 'Approve') : null,
    key.status === 'active' ? actionButton(key, 'deactivate', 'Deactivate') : null,
    key.status === 'inactive' ? actionButton(key, 'reactivate', 'Reactivate') : null,
    key.status !== 'revoked' ? actionButton(key, 'revoke', 'Revoke', true) : null,
    actionButton(key, 'delete', 'Delete', true),
  ]}</div>`;
}

function keysTable(keys: readonly KeyRow[], now: number): Html {
  if (keys.length === 0) {
    return html`<div id="keys-table"><p class="empty">This account has no keys yet.</p></div>`;
  }
  return html`<div id="keys-table" class="table-scroll" tabindex="0" role="region" aria-labelledby="keys-heading">
<table class="keys">
<thead><tr><th scope="col">Key</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${keys.map((key) => {
    const status = statusOf(key, now);
    return html`<tr data-key-id="${key.key_id}">
<th scope="row"><span class="key-name">${key.name}</span><span class="key-meta"><code>${key.hint}</code> <span class="env env-${key.environment}">${key.environment}</span></span></th>
<td data-label="Status"><span class="status status-${status.kind}">${status.label}</span></td>
<td data-label="Created">${day(ms(key.created_at))}</td>
<td data-label="Last used">${day(ms(key.last_used_at))}</td>
<td data-label="Expires">${day(ms(key.expires_at))}</td>
<td class="actions-cell">${actions(key)}</td>
</tr>`;
  })}</tbody>
</table>
</div>`;
}

const POLICIES = [
  [
    'approval',
    'Approval',
    'New keys asked for by email (POST /v1/keys) wait until you approve them from the mail or here.',
  ],
  [
    'open',
    'Open',
    'Anyone who knows the address gets a working key at once. Only for addresses nobody else can guess.',
  ],
  ['closed', 'Closed', 'Keys are made here only; POST /v1/keys for this address is refused and sent here.'],
] as const;

function policyForm(current: string): Html {
  return html`<form id="policy-form" class="stack" data-requires-js hidden>
<fieldset><legend>Who may get new keys for this account</legend>
${POLICIES.map(
  ([
    value,
    label,
    help,
  ]) => html`<div class="choice"><input type="radio" name="registration_policy" id="policy-${value}" value="${value}"${value === current ? html` checked` : null} aria-describedby="policy-${value}-help">
<label for="policy-${value}">${label}</label><p class="help" id="policy-${value}-help">${help}</p></div>`,
)}
</fieldset>
<button type="submit">Save policy</button>
</form>`;
}

function createForm(ctx: OwnerContext): Html {
  const { config } = ctx.services;
  return html`<form id="create-key-form" class="stack" data-requires-js hidden>
<div class="form-grid">
<div class="field"><label for="key-name">Name</label><input id="key-name" name="name" type="text" maxlength="64" placeholder="Default" autocomplete="off" aria-describedby="key-name-help"><p class="help" id="key-name-help">What the key is for, e.g. “website” or “CI”.</p></div>
<div class="field"><label for="key-environment">Environment</label><select id="key-environment" name="environment" aria-describedby="key-environment-help"><option value="live">live</option><option value="test">test (sandbox)</option></select><p class="help" id="key-environment-help">Test keys see only test data and never spend credits.</p></div>
<div class="field"><label for="key-expiry">Expires on <span class="muted">(optional)</span></label><input id="key-expiry" name="expires_on" type="date" aria-describedby="key-expiry-help"><p class="help" id="key-expiry-help">The key stops working at the end of that day.</p></div>
</div>
<p class="muted">Up to ${config.dashboardMaxActiveKeys} active keys; ${config.dashboardKeysPerHour} new keys an hour, ${config.dashboardKeysPerDay} a day.</p>
<button type="submit" class="primary">Create key</button>
</form>
<section id="new-key" class="reveal" hidden aria-labelledby="new-key-heading" tabindex="-1">
<h3 id="new-key-heading">Your new key</h3>
${notice('warning', html`Copy the key and its webhook secret now: they are shown <strong>once</strong> and cannot be read again.`)}
<div class="copy-field"><label for="new-key-value">API key</label><div class="copy-row"><input id="new-key-value" type="text" readonly spellcheck="false"><button type="button" class="copy-button" data-copy-target="new-key-value" aria-label="Copy API key">Copy</button></div></div>
<div class="copy-field"><label for="new-key-webhook">Webhook signing secret (Standard Webhooks)</label><div class="copy-row"><input id="new-key-webhook" type="text" readonly spellcheck="false"><button type="button" class="copy-button" data-copy-target="new-key-webhook" aria-label="Copy webhook signing secret">Copy</button></div></div>
<button type="button" id="new-key-done">I have copied them</button>
</section>`;
}

async function render(ctx: OwnerContext): Promise<PageView> {
  const { account } = ctx.session;
  const { data } = await ownerKeys.list(ctx.services, account);
  const now = Date.now();
  return {
    title: 'API keys',
    scripts: ['keys.js'],
    main: html`${heading('API keys', html`Keys of <strong>${account.email}</strong>. A key is shown once, when it is made; afterwards only its first characters.`)}
${account.suspended ? notice('error', 'This account is suspended: its keys do not work, and no key can be created or reactivated.') : null}
<noscript>${notice('info', 'Creating and changing keys needs JavaScript; the list below reads without it.')}</noscript>
<div id="keys-status" class="status-region" role="status" aria-live="polite"></div>
<section aria-labelledby="create-heading"><h2 id="create-heading">Create a key</h2>${createForm(ctx)}</section>
<section aria-labelledby="keys-heading"><h2 id="keys-heading">Keys</h2>${keysTable(data, now)}</section>
<section aria-labelledby="policy-heading"><h2 id="policy-heading">Registration policy</h2>
<p>What happens when someone asks for a key for ${account.email} through the API (<code>POST /v1/keys</code>).</p>
${policyForm(account.registration_policy)}
<noscript><p>Current policy: <strong>${account.registration_policy}</strong>.</p></noscript>
</section>
<dialog id="confirm-dialog" aria-labelledby="confirm-title" aria-describedby="confirm-text">
<form method="dialog" class="stack"><h2 id="confirm-title" class="dialog-title">Are you sure?</h2><p id="confirm-text"></p>
<div class="dialog-buttons"><button value="cancel" type="submit">Cancel</button><button value="confirm" type="submit" class="danger" id="confirm-button">Confirm</button></div></form>
</dialog>`,
  };
}

export const KEYS_PAGE: OwnerPage = {
  path: '/keys',
  area: 'dashboard',
  access: 'owner',
  nav: { label: 'API keys', order: 20 },
  render,
};
