import { operator } from '../../accounts/operator-service.ts';
import { AppError } from '../../errors/app-error.ts';
import { day, heading } from '../components.ts';
import { type Html, html } from '../html.ts';
import type { FormDef, OperatorContext, OperatorPage, PageOutput, PageView } from '../page.ts';
import {
  adminView,
  csrfField,
  msOf,
  pathSegment,
  type Refusal,
  refusalNotice,
  refusalOf,
} from './admin-shared.ts';

/**
 * `/admin/accounts`: find an account by any part of its email (or list the newest), and create one. Each row leads
 * to the account's page (admin-account.ts), where everything about it is changed.
 */
const PAGE_SIZE = 50;
const PATH = '/admin/accounts';

type AccountRow = Awaited<ReturnType<typeof operator.listAccounts>>['data'][number];

const flags = (a: AccountRow): Html =>
  html`${[
    a.suspended ? html`<span class="status status-revoked">suspended</span>` : null,
    a.payment_risk ? html`<span class="status status-pending_approval">payment risk</span>` : null,
    a.email_verified ? null : html`<span class="status status-inactive">unverified</span>`,
  ]}`;

function accountsTable(rows: readonly AccountRow[], search: string): Html {
  if (rows.length === 0) {
    return html`<p class="empty-note">${search ? html`No account’s email contains “${search}”.` : 'No accounts yet.'}</p>`;
  }
  return html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="results-heading"><table class="wide stacked">
<thead><tr><th scope="col">Email</th><th scope="col">Plan</th><th scope="col">Flags</th><th scope="col">Credits (paid / promo)</th><th scope="col">Created</th></tr></thead>
<tbody>${rows.map(
    (a) =>
      html`<tr><th scope="row"><a href="${PATH}/${pathSegment(a.id)}">${a.email}</a><span class="cell-meta"><code>${a.id}</code></span></th><td data-label="Plan">${a.plan}</td><td data-label="Flags"><span class="flags">${flags(a)}</span></td><td data-label="Credits (paid / promo)">${a.credits.paid_available.toLocaleString('en-US')} / ${a.credits.promotional.toLocaleString('en-US')}</td><td data-label="Created">${day(msOf(a.created_at))}</td></tr>`,
  )}</tbody></table></div>`;
}

function createForm(ctx: OperatorContext): Html {
  const { plans, defaultPlan } = ctx.services.config;
  return html`<form method="post" action="${PATH}" class="stack">
${csrfField(ctx)}
<div class="form-grid">
<div class="field"><label for="new-email">Email</label><input id="new-email" name="email" type="email" required maxlength="254" autocomplete="off"></div>
<div class="field"><label for="new-plan">Plan</label><select id="new-plan" name="plan">${plans.map(
    (p) =>
      html`<option value="${p.name}"${p.name === defaultPlan ? html` selected` : null}>${p.label}</option>`,
  )}</select></div>
</div>
<div class="choice"><input type="checkbox" id="new-verified" name="email_verified" value="1"><label for="new-verified">Email already verified</label></div>
<button type="submit">Create account</button>
</form>`;
}

async function renderList(ctx: OperatorContext, refusal?: Refusal): Promise<PageView> {
  const search = typeof ctx.query.q === 'string' ? ctx.query.q.trim().slice(0, 254) : '';
  const before = typeof ctx.query.before === 'string' ? ctx.query.before.slice(0, 64) : undefined;
  const { data } = await operator.listAccounts(ctx.services, {
    ...(search ? { search } : {}),
    ...(before ? { before } : {}),
    limit: PAGE_SIZE + 1,
  });
  const rows = data.slice(0, PAGE_SIZE);
  const last = rows.at(-1);
  const more = data.length > PAGE_SIZE && last;
  const query = (extra: Record<string, string>) =>
    `${PATH}?${new URLSearchParams({ ...(search ? { q: search } : {}), ...extra })}`;
  return adminView({
    ...(refusal ? { status: refusal.status } : {}),
    title: 'Accounts',
    main: html`${heading('Accounts', 'Find an account by its email address, or any part of it.')}
${refusalNotice(refusal)}
<form method="get" action="${PATH}" class="search-form" role="search">
<label for="account-search">Email contains</label>
<div class="copy-row"><input id="account-search" name="q" type="search" value="${search}" maxlength="254" autocomplete="off"><button type="submit" class="primary">Search</button></div>
</form>
<section aria-labelledby="results-heading"><h2 id="results-heading">${search ? html`Accounts whose email contains “${search}”` : 'Newest accounts'}</h2>
${accountsTable(rows, search)}
${more || before ? html`<p class="pager">${before ? html`<a href="${query({})}">Newest</a>` : null}${more ? html`<a href="${query({ before: last.id })}">Older accounts</a>` : null}</p>` : null}
</section>
<section aria-labelledby="create-heading"><h2 id="create-heading">Create an account</h2>
<p class="help">Accounts are also made by <code>POST /v1/keys</code>; create one here to mint its keys yourself.</p>
${createForm(ctx)}</section>`,
  });
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

async function create(ctx: OperatorContext, fields: Readonly<Record<string, string>>): Promise<PageOutput> {
  try {
    const email = (fields.email ?? '').trim();
    if (!EMAIL.test(email)) {
      throw new AppError('invalid_payload', {
        message: 'Enter an email address like name@example.com.',
        errors: { email: ['Must be an email address'] },
      });
    }
    const account = await operator.createAccount(ctx.services, {
      email,
      ...(fields.plan ? { plan: fields.plan } : {}),
      email_verified: fields.email_verified === '1',
    });
    return { redirect: `${PATH}/${pathSegment(account.id)}?done=created`, status: 303 };
  } catch (error) {
    return renderList(ctx, refusalOf(error));
  }
}

export const ADMIN_ACCOUNTS_PAGE: OperatorPage = {
  path: PATH,
  area: 'admin',
  access: 'operator',
  nav: { label: 'Accounts', order: 20 },
  render: (ctx) => renderList(ctx),
};

export const ADMIN_ACCOUNTS_FORMS: readonly FormDef[] = [
  { path: PATH, area: 'admin', access: 'operator', handle: create },
];
