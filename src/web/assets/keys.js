// The key page: create, approve, deactivate, reactivate, revoke and delete keys, and the registration policy,
// through the dashboard's JSON endpoints. The table is rendered by the server; after a change it is fetched again.
import './copy.js';
import { announce, api, confirmWith, refreshRegion, revealScripted } from './dashboard-api.js';

const STATUS = 'keys-status';

const ACTIONS = {
  approve: { verb: 'approved', confirm: null },
  deactivate: { verb: 'deactivated', confirm: null },
  reactivate: { verb: 'reactivated', confirm: null },
  revoke: {
    verb: 'revoked',
    confirm: (name) =>
      `Revoke “${name}”? Requests with this key will be refused from now on. This cannot be undone.`,
  },
  delete: {
    verb: 'deleted',
    confirm: (name) => `Delete “${name}”? The key stops working and disappears from this list.`,
  },
};

/** End of the chosen day in the person's time zone, as an ISO instant; null for no expiry. */
function expiryOf(dateValue) {
  if (!dateValue) return null;
  const [year, month, day] = dateValue.split('-').map(Number);
  return new Date(year, month - 1, day, 23, 59, 59).toISOString();
}

async function onCreate(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector('button[type="submit"]');
  const data = new FormData(form);
  const body = { environment: data.get('environment') };
  const name = String(data.get('name') ?? '').trim();
  if (name) body.name = name;
  const expiresAt = expiryOf(String(data.get('expires_on') ?? ''));
  if (expiresAt) body.expires_at = expiresAt;
  button.disabled = true;
  try {
    const created = await api('POST', '/keys', body);
    document.getElementById('new-key-value').value = created.key;
    document.getElementById('new-key-webhook').value = created.webhook_secret;
    const reveal = document.getElementById('new-key');
    reveal.hidden = false;
    reveal.focus();
    form.reset();
    await refreshRegion('keys-table');
    announce(STATUS, 'success', `Key “${created.name}” created. Copy it now: it is shown once.`);
  } catch (error) {
    announce(STATUS, 'error', error.message);
  } finally {
    button.disabled = false;
  }
}

async function onAction(button) {
  const { action, keyId, keyName } = button.dataset;
  const spec = ACTIONS[action];
  if (!spec) return;
  if (
    spec.confirm &&
    !(await confirmWith(spec.confirm(keyName), button.firstChild?.textContent ?? 'Confirm'))
  ) {
    button.focus();
    return;
  }
  button.disabled = true;
  try {
    if (action === 'delete') await api('DELETE', `/keys/${encodeURIComponent(keyId)}`);
    else await api('POST', `/keys/${encodeURIComponent(keyId)}/${action}`);
    await refreshRegion('keys-table');
    announce(STATUS, 'success', `Key “${keyName}” ${spec.verb}.`);
    document.getElementById('keys-heading')?.setAttribute('tabindex', '-1');
    document.getElementById('keys-heading')?.focus();
  } catch (error) {
    announce(STATUS, 'error', error.message);
    button.disabled = false;
  }
}

async function onPolicy(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const policy = new FormData(form).get('registration_policy');
  try {
    await api('PATCH', '/account', { registration_policy: policy });
    announce(STATUS, 'success', `Registration policy set to “${policy}”.`);
  } catch (error) {
    announce(STATUS, 'error', error.message);
  }
}

revealScripted();
document.getElementById('create-key-form')?.addEventListener('submit', onCreate);
document.getElementById('policy-form')?.addEventListener('submit', onPolicy);
document.getElementById('new-key-done')?.addEventListener('click', () => {
  const reveal = document.getElementById('new-key');
  reveal.hidden = true;
  document.getElementById('new-key-value').value = '';
  document.getElementById('new-key-webhook').value = '';
  document.getElementById('key-name')?.focus();
});
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
  if (button) onAction(button);
});
