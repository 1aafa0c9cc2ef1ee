import { findAccount } from '../../accounts/accounts-store.ts';
import { approveKey, type KeyForApproval, keyForApproval, verifyEmail } from '../../accounts/link-actions.ts';
import { verificationMail } from '../../accounts/verification-mail.ts';
import { contactText, formatBytes, formatInstant, heading, maskEmail, nextSteps } from '../components.ts';
import { type Html, html } from '../html.ts';
import type { FormDef, PageContext, PageDef, PageView } from '../page.ts';

/**
 * The pages behind signed links (docs/api.md §2.8): `/verify`, `/approve-key`, `/upgrade/<plan>`. A bad signature
 * or an expired link changes nothing and says so. Opening a link (GET) never changes anything an attacker could
 * want changed — mail scanners and link previews open every link they see: `/verify` acts on GET (proving the
 * mailbox received the link is the point of it), `/approve-key` shows a confirmation page whose form (POST, with a
 * token bound to the link) activates the key. Every page ends with a next step.
 */
type LinkQuery = { t?: unknown; exp?: unknown; sig?: unknown };

const APPROVE_PATH = '/approve-key';

const SIGN_IN = { href: '/sign-in?next=%2Fkeys', label: 'Sign in to the dashboard', primary: true };
const HOME = { href: '/', label: 'About this server' };

function linkPage(status: number, title: string, body: Html): PageView {
  return { status, title, main: html`${heading(title)}${body}`, cache: 'no-store', referrer: 'no-referrer' };
}

const invalid = () =>
  linkPage(
    400,
    'Link invalid or expired',
    html`<p>This link is invalid or has expired. Nothing was changed.</p>
<p>Links in our emails work for a limited time. Sign in to the dashboard to manage your account, or ask for a new link where you got this one.</p>
${nextSteps([SIGN_IN, HOME])}`,
  );

const nothingToApprove = () =>
  linkPage(
    409,
    'Nothing to approve',
    html`<p>This key was approved, revoked or deleted already.</p>${nextSteps([SIGN_IN])}`,
  );

const alreadyApproved = () =>
  linkPage(
    200,
    'Key already approved',
    html`<p>This API key was approved already; it is active.</p>${nextSteps([SIGN_IN])}`,
  );

/** The page a mailed approval link opens: what would be approved, and a button that does it (POST). */
function approvalForm(key: KeyForApproval, link: { t: string; exp: string; sig: string }, token: string) {
  const hidden = (name: string, value: string) => html`<input type="hidden" name="${name}" value="${value}">`;
  return linkPage(
    200,
    'Approve API key?',
    html`<p>Someone asked for a new API key for the account ${maskEmail(key.account_email)}. It works only once you approve it here.</p>
<dl class="facts"><dt>Name</dt><dd>${key.name}</dd><dt>Environment</dt><dd>${key.environment}</dd>
<dt>Key</dt><dd><code>${key.hint}</code></dd><dt>Requested</dt><dd>${formatInstant(key.created_at)}</dd></dl>
<form method="post" action="${APPROVE_PATH.slice(1)}">${hidden('t', link.t)}${hidden('exp', link.exp)}${hidden('sig', link.sig)}${hidden('confirm', token)}
<button type="submit" class="primary">Approve this key</button></form>
<p>If you did not ask for this key, close this page: the key stays unusable. You can also approve or delete pending keys from the dashboard.</p>`,
  );
}

const queryOf = (ctx: PageContext): LinkQuery => ctx.query as LinkQuery;

async function verify(ctx: PageContext): Promise<PageView> {
  const { links, store, mailer } = ctx.services;
  const link = links.verify('/verify', queryOf(ctx));
  if (!link) return invalid();
  const account = await findAccount(store.db, link.subject);
  if (!account) return invalid();
  if (link.purpose === 'verify-request') {
    if (account.email_verified) {
      return linkPage(
        200,
        'Email already verified',
        html`<p>This account is verified already.</p>${nextSteps([SIGN_IN, HOME])}`,
      );
    }
    await mailer.send(verificationMail(links, account));
    return linkPage(
      200,
      'Check your inbox',
      html`<p>We sent a verification link to ${maskEmail(account.email)}. Open it to verify the account.</p>
<p>Signing in to the dashboard with a link mailed to the same address verifies it too.</p>${nextSteps([SIGN_IN, HOME])}`,
    );
  }
  await verifyEmail(ctx.services, account.id);
  return linkPage(
    200,
    'Email verified',
    html`<p>Your email is verified. Your uploads are now permanent, and you can create more keys.</p>${nextSteps([SIGN_IN, { href: '/docs/quick-start', label: 'Quick start' }])}`,
  );
}

async function approvePage(ctx: PageContext): Promise<PageView> {
  const { links } = ctx.services;
  const query = queryOf(ctx);
  const link = links.verify(APPROVE_PATH, query);
  if (link?.purpose !== 'approve') return invalid();
  const key = await keyForApproval(ctx.services, link.subject);
  if (key?.status === 'active') return alreadyApproved();
  if (key?.status !== 'pending_approval') return nothingToApprove();
  const { t, exp, sig } = query as { t: string; exp: string; sig: string };
  return approvalForm(key, { t, exp, sig }, links.confirmationToken(APPROVE_PATH, sig));
}

async function approveForm(ctx: PageContext, form: Readonly<Record<string, string>>): Promise<PageView> {
  const { links } = ctx.services;
  const link = links.verify(APPROVE_PATH, form);
  if (link?.purpose !== 'approve') return invalid();
  if (!links.confirms(APPROVE_PATH, form.sig, form.confirm)) {
    return linkPage(
      403,
      'Approval not confirmed',
      html`<p>This approval did not come from its confirmation page. Open the link in the email again and press the button. Nothing was changed.</p>`,
    );
  }
  if (await approveKey(ctx.services, link.subject)) {
    return linkPage(
      200,
      'Key approved',
      html`<p>The API key is active now.</p>${nextSteps([SIGN_IN, { href: '/docs/quick-start', label: 'Quick start' }])}`,
    );
  }
  // A second press, a reload or a replay of the form: the key is what it was after the first one.
  const key = await keyForApproval(ctx.services, link.subject);
  return key?.status === 'active' ? alreadyApproved() : nothingToApprove();
}

async function upgrade(ctx: PageContext) {
  const { links, config } = ctx.services;
  const planName = ctx.params.plan ?? '';
  const link = links.verify(`/upgrade/${encodeURIComponent(planName)}`, queryOf(ctx));
  const plan = config.plans.find((p) => p.name === planName);
  if (link?.purpose !== 'upgrade' || !plan) return invalid();
  if (config.billingUrl) {
    const target = new URL(config.billingUrl);
    target.searchParams.set('account', link.subject);
    target.searchParams.set('plan', plan.name);
    return {
      redirect: target.toString(),
      status: 302 as const,
      headers: { 'referrer-policy': 'no-referrer' },
    };
  }
  return linkPage(
    200,
    `Upgrade to ${plan.label}`,
    html`<p>The ${plan.label} plan allows ${plan.uploadsPerMonth.toLocaleString('en-US')} uploads a month and ${formatBytes(plan.storageBytes)} of storage.</p>
<p>This server takes no payments itself. To move account <code>${link.subject}</code> to the ${plan.label} plan, contact ${contactText(config)} and quote the account id.</p>
${nextSteps([SIGN_IN, { href: '/docs/limits', label: 'Plans and limits' }])}`,
  );
}

export const LINK_PAGES: readonly PageDef[] = [
  { path: '/verify', area: 'site', access: 'public', cache: 'no-store', render: verify },
  { path: APPROVE_PATH, area: 'site', access: 'public', cache: 'no-store', render: approvePage },
  { path: '/upgrade/:plan', area: 'site', access: 'public', cache: 'no-store', render: upgrade },
];

export const LINK_FORMS: readonly FormDef[] = [
  { path: APPROVE_PATH, area: 'site', access: 'public', handle: approveForm },
];
