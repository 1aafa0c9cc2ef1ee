import { operator } from '../../accounts/operator-service.ts';
import { AppError } from '../../errors/app-error.ts';
import { endAllSessions } from '../../sessions/sessions.ts';
import { heading, notice } from '../components.ts';
import { html } from '../html.ts';
import type { FormDef, OperatorContext, OperatorPage, PageOutput, PageView } from '../page.ts';
import {
  accountPath,
  controls,
  credits,
  keysTable,
  LEDGER_PAGE,
  type MintedKey,
  mintedReveal,
  mintForm,
  summary,
} from './admin-account-view.ts';
import {
  adminView,
  doneNotice,
  endOfDayUtc,
  oneOf,
  optionalText,
  pathSegment,
  type Refusal,
  refusalNotice,
  refusalOf,
} from './admin-shared.ts';

/**
 * `/admin/accounts/{id}`: one account, and everything an operator changes about it — plan, suspension, payment
 * risk, email verification, registration policy; credit grants with a note, and the ledger; its keys (mint,
 * deactivate, reactivate, approve, revoke, delete); its owner's dashboard sessions. Every change is a small POST
 * form (CSRF token, works without JavaScript) that calls the operator service — the same rules as `/admin/v1` — and
 * comes back here with a notice (Post/Redirect/Get). A refused change shows this page again with the reason.
 */
const PATH = '/admin/accounts/:id';

const DONE: Record<string, string> = {
  created: 'Account created.',
  plan: 'Plan changed.',
  suspended: 'Account suspended: its keys are refused from now on.',
  unsuspended: 'Suspension lifted: its keys work again.',
  payment_risk: 'Payment risk flagged: live enhancement work is refused.',
  payment_risk_cleared: 'Payment risk cleared.',
  verified: 'Email marked verified.',
  unverified: 'Email marked unverified.',
  registration_policy: 'Registration policy saved.',
  granted: 'Credits granted. The grant is the newest entry of the ledger.',
  key_active: 'Key active.',
  key_inactive: 'Key deactivated: the API refuses it until it is reactivated.',
  key_revoked: 'Key revoked: the API refuses it for good.',
  key_deleted: 'Key deleted.',
  signed_out: 'The owner’s dashboard sessions are ended.',
};

interface AccountPageOptions {
  refusal?: Refusal;
  minted?: MintedKey;
}

async function renderAccount(ctx: OperatorContext, options: AccountPageOptions = {}): Promise<PageView> {
  const id = ctx.params.id ?? '';
  const account = await operator.getAccount(ctx.services, id);
  const before =
    typeof ctx.query.ledger_before === 'string' ? ctx.query.ledger_before.slice(0, 64) : undefined;
  const [{ data: keys }, { data: ledger }] = await Promise.all([
    operator.listKeys(ctx.services, { account_id: account.id }),
    operator.ledger(ctx.services, account.id, { limit: LEDGER_PAGE, ...(before ? { before } : {}) }),
  ]);
  const { refusal, minted } = options;
  return adminView({
    ...(refusal ? { status: refusal.status } : {}),
    title: account.email,
    main: html`<p class="breadcrumb"><a href="/admin/accounts">Accounts</a></p>
${heading(account.email)}
${refusalNotice(refusal)}
${minted ? notice('success', 'Key minted.') : doneNotice(ctx.query, DONE)}
${summary(ctx, account)}
<p class="related"><a href="/admin/outbox?to=${encodeURIComponent(account.email)}">Mail sent to this address</a> · <a href="/admin/webhooks?account_id=${pathSegment(account.id)}">Webhook deliveries of this account</a></p>
<section aria-labelledby="manage-heading"><h2 id="manage-heading">Manage</h2>${controls(ctx, account)}</section>
<section aria-labelledby="credits-heading" id="credits"><h2 id="credits-heading">Credits</h2>${credits(ctx, account, ledger, before)}</section>
<section aria-labelledby="keys-heading" id="keys"><h2 id="keys-heading">API keys</h2>
${minted ? mintedReveal(minted) : null}
${keysTable(ctx, account, keys)}
<h3>Mint a key</h3>
<p class="help">Active at once, whatever the registration policy and the dashboard’s key limits.</p>
${mintForm(ctx, account)}</section>`,
  });
}

/** Runs a change; success goes back to the account with its notice, a refusal shows the page with the reason. */
async function change(
  ctx: OperatorContext,
  run: (accountId: string) => Promise<string>,
  anchor = '',
): Promise<PageOutput> {
  const accountId = ctx.params.id ?? '';
  try {
    const done = await run(accountId);
    return { redirect: `${accountPath(accountId)}?done=${done}${anchor}`, status: 303 };
  } catch (error) {
    const refusal = refusalOf(error);
    // The account itself is gone: nothing to show again, the error page says so.
    if (refusal.code === 'not_found' && !(await accountExists(ctx, accountId))) throw error;
    return renderAccount(ctx, { refusal });
  }
}

async function accountExists(ctx: OperatorContext, id: string): Promise<boolean> {
  try {
    await operator.getAccount(ctx.services, id);
    return true;
  } catch {
    return false;
  }
}

const BOOLEAN = ['0', '1'] as const;
const FLAG_DONE = {
  suspended: ['unsuspended', 'suspended'],
  payment_risk: ['payment_risk_cleared', 'payment_risk'],
  email_verified: ['unverified', 'verified'],
} as const;

/** One change of the account per form: whichever field the form carries. */
async function update(ctx: OperatorContext, fields: Readonly<Record<string, string>>) {
  return change(ctx, async (id) => {
    if (fields.plan !== undefined) {
      await operator.updateAccount(ctx.services, id, { plan: fields.plan });
      return 'plan';
    }
    if (fields.registration_policy !== undefined) {
      const policy = oneOf(fields, 'registration_policy', ['open', 'approval', 'closed'] as const);
      await operator.updateAccount(ctx.services, id, { registration_policy: policy });
      return 'registration_policy';
    }
    for (const flag of ['suspended', 'payment_risk', 'email_verified'] as const) {
      if (fields[flag] === undefined) continue;
      const on = oneOf(fields, flag, BOOLEAN) === '1';
      await operator.updateAccount(ctx.services, id, { [flag]: on });
      return FLAG_DONE[flag][on ? 1 : 0];
    }
    throw new AppError('invalid_payload', { message: 'Nothing to change: the form carried no field.' });
  });
}

async function grant(ctx: OperatorContext, fields: Readonly<Record<string, string>>) {
  return change(
    ctx,
    async (id) => {
      const amount = Number((fields.amount ?? '').trim());
      if (!Number.isInteger(amount) || amount < 1 || amount > 1_000_000_000) {
        throw new AppError('invalid_payload', {
          message: 'The amount must be a whole number from 1 to 1,000,000,000.',
          errors: { amount: ['Must be a whole number from 1 to 1000000000'] },
        });
      }
      const kind = oneOf(fields, 'kind', ['purchased', 'promotional'] as const);
      const note = optionalText(fields, 'note', 500);
      await operator.grant(ctx.services, id, { amount, kind, ...(note ? { note } : {}) });
      return 'granted';
    },
    '#credits',
  );
}

async function mint(ctx: OperatorContext, fields: Readonly<Record<string, string>>): Promise<PageOutput> {
  try {
    const environment = oneOf(fields, 'environment', ['live', 'test'] as const);
    const name = optionalText(fields, 'name', 64);
    const minted = await operator.mintKey(ctx.services, ctx.params.id ?? '', {
      environment,
      expires_at: endOfDayUtc(fields, 'expires_on'),
      ...(name ? { name } : {}),
    });
    // Shown in this answer only (never stored, never in a URL): the page of the POST, not a redirect.
    return renderAccount(ctx, { minted });
  } catch (error) {
    const refusal = refusalOf(error);
    if (!(await accountExists(ctx, ctx.params.id ?? ''))) throw error;
    return renderAccount(ctx, { refusal });
  }
}

/** The key of this page's account named by the path, or `not_found` (a key id of another account included). */
async function keyOfAccount(ctx: OperatorContext, accountId: string): Promise<string> {
  const keyId = ctx.params.key_id ?? '';
  const { data } = await operator.listKeys(ctx.services, { account_id: accountId });
  if (!data.some((k) => k.key_id === keyId)) throw new AppError('not_found', { message: 'Key not found.' });
  return keyId;
}

async function keyStatusChange(ctx: OperatorContext, fields: Readonly<Record<string, string>>) {
  return change(
    ctx,
    async (accountId) => {
      const keyId = await keyOfAccount(ctx, accountId);
      const status = oneOf(fields, 'status', ['active', 'inactive', 'revoked'] as const);
      await operator.updateKey(ctx.services, keyId, { status });
      return `key_${status}`;
    },
    '#keys',
  );
}

export const ADMIN_ACCOUNT_PAGE: OperatorPage = {
  path: PATH,
  area: 'admin',
  access: 'operator',
  render: (ctx) => renderAccount(ctx),
};

export const ADMIN_ACCOUNT_FORMS: readonly FormDef[] = [
  { path: `${PATH}/update`, area: 'admin', access: 'operator', handle: update },
  { path: `${PATH}/credits`, area: 'admin', access: 'operator', handle: grant },
  { path: `${PATH}/keys`, area: 'admin', access: 'operator', handle: mint },
  { path: `${PATH}/keys/:key_id/status`, area: 'admin', access: 'operator', handle: keyStatusChange },
  {
    path: `${PATH}/keys/:key_id/delete`,
    area: 'admin',
    access: 'operator',
    handle: (ctx) =>
      change(
        ctx,
        async (accountId) => {
          await operator.deleteKey(ctx.services, await keyOfAccount(ctx, accountId));
          return 'key_deleted';
        },
        '#keys',
      ),
  },
  {
    path: `${PATH}/sign-out`,
    area: 'admin',
    access: 'operator',
    handle: (ctx) =>
      change(ctx, async (id) => {
        await operator.getAccount(ctx.services, id);
        await endAllSessions(ctx.services, id);
        return 'signed_out';
      }),
  },
];
