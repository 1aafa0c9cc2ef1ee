import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { findAccount } from '../../accounts/accounts-store.ts';
import { approveKey, type KeyForApproval, keyForApproval, verifyEmail } from '../../accounts/link-actions.ts';
import { verificationMail } from '../../accounts/verification-mail.ts';
import type { Services } from '../../app/compose.ts';
import { escapeHtml, htmlPage, SIGNED_PAGE_HEADERS } from '../html-page.ts';

type LinkQuery = { t?: string; exp?: string; sig?: string };
/** The approval form's fields: the link's own parameters, and the confirmation token its page handed out. */
type ApprovalForm = LinkQuery & { confirm?: string };

/** A confirmation form is a few hundred bytes; anything much larger is not one. */
const FORM_BODY_LIMIT = 4096;
const APPROVE_PATH = '/approve-key';

function send(reply: FastifyReply, status: number, title: string, bodyHtml: string) {
  return reply.status(status).headers(SIGNED_PAGE_HEADERS).send(htmlPage(title, bodyHtml));
}

function page(reply: FastifyReply, status: number, title: string, text: string) {
  return send(reply, status, title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`);
}

const invalid = (reply: FastifyReply) =>
  page(reply, 400, 'Link invalid or expired', 'This link is invalid or has expired. Nothing was changed.');

const nothingToApprove = (reply: FastifyReply) =>
  page(reply, 409, 'Nothing to approve', 'This key was approved, revoked or deleted already.');

const alreadyApproved = (reply: FastifyReply) =>
  page(reply, 200, 'Key already approved', 'This API key was approved already; it is active.');

/** The page a mailed approval link opens: what would be approved, and a button that does it (POST). */
function approvalForm(reply: FastifyReply, key: KeyForApproval, link: Required<LinkQuery>, token: string) {
  const hidden = (name: string, value: string) =>
    `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  const created = new Date(key.created_at).toISOString().replace('T', ' ').slice(0, 16);
  return send(
    reply,
    200,
    'Approve API key?',
    `<h1>Approve API key?</h1>
<p>Someone asked for a new API key for the account ${escapeHtml(maskEmail(key.account_email))}. It works only once you approve it here.</p>
<dl><dt>Name</dt><dd>${escapeHtml(key.name)}</dd><dt>Environment</dt><dd>${escapeHtml(key.environment)}</dd>
<dt>Key</dt><dd>${escapeHtml(key.hint)}</dd><dt>Requested</dt><dd>${escapeHtml(created)} UTC</dd></dl>
<form method="post" action="${APPROVE_PATH.slice(1)}">${hidden('t', link.t)}${hidden('exp', link.exp)}${hidden('sig', link.sig)}${hidden('confirm', token)}
<button type="submit">Approve this key</button></form>
<p>If you did not ask for this key, close this page: the key stays unusable.</p>`,
  );
}

/**
 * The pages behind signed links (docs/api.md §2.8). A bad signature or an expired link changes nothing.
 *
 * Opening a link (GET) never changes anything an attacker could want changed: mail scanners and link previews open
 * every link they see. `/verify` acts on GET (proving the mailbox received the link is the point of it);
 * `/approve-key` shows a confirmation page whose form (POST, with a token bound to the link) activates the key.
 */
export const signedLinkRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const { links, store } = services;

    // Only this plugin's routes take HTML form posts; everything else keeps refusing the type (415).
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
      (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );

    app.get<{ Querystring: LinkQuery }>('/verify', { schema: { hide: true } }, async (request, reply) => {
      const link = links.verify('/verify', request.query);
      if (!link) return invalid(reply);
      const account = await findAccount(store.db, link.subject);
      if (!account) return invalid(reply);
      if (link.purpose === 'verify-request') {
        if (!account.email_verified) await services.mailer.send(verificationMail(links, account));
        return page(
          reply,
          200,
          account.email_verified ? 'Email already verified' : 'Check your inbox',
          account.email_verified
            ? 'This account is verified already.'
            : `We sent a verification link to ${maskEmail(account.email)}. Open it to verify the account.`,
        );
      }
      await verifyEmail(services, account.id);
      return page(reply, 200, 'Email verified', 'Your email is verified. Your uploads are now permanent.');
    });

    app.get<{ Querystring: LinkQuery }>(APPROVE_PATH, { schema: { hide: true } }, async (request, reply) => {
      const link = links.verify(APPROVE_PATH, request.query);
      if (link?.purpose !== 'approve') return invalid(reply);
      const key = await keyForApproval(services, link.subject);
      if (key?.status === 'active') return alreadyApproved(reply);
      if (key?.status !== 'pending_approval') return nothingToApprove(reply);
      const { t, exp, sig } = request.query as Required<LinkQuery>;
      return approvalForm(reply, key, { t, exp, sig }, links.confirmationToken(APPROVE_PATH, sig));
    });

    app.post<{ Body: ApprovalForm }>(APPROVE_PATH, { schema: { hide: true } }, async (request, reply) => {
      const form: ApprovalForm =
        typeof request.body === 'object' && request.body !== null ? request.body : {};
      const link = links.verify(APPROVE_PATH, form);
      if (link?.purpose !== 'approve') return invalid(reply);
      if (!links.confirms(APPROVE_PATH, form.sig, form.confirm)) {
        return page(
          reply,
          403,
          'Approval not confirmed',
          'This approval did not come from its confirmation page. Open the link in the email again and press the button. Nothing was changed.',
        );
      }
      if (await approveKey(services, link.subject)) {
        return page(reply, 200, 'Key approved', 'The API key is active now.');
      }
      // A second press, a reload or a replay of the form: the key is what it was after the first one.
      const key = await keyForApproval(services, link.subject);
      return key?.status === 'active' ? alreadyApproved(reply) : nothingToApprove(reply);
    });

    app.get<{ Params: { plan: string }; Querystring: LinkQuery }>(
      '/upgrade/:plan',
      { schema: { hide: true } },
      async (request, reply) => {
        const path = `/upgrade/${encodeURIComponent(request.params.plan)}`;
        const link = links.verify(path, request.query);
        const plan = services.config.plans.find((p) => p.name === request.params.plan);
        if (link?.purpose !== 'upgrade' || !plan) return invalid(reply);
        const { billingUrl } = services.config;
        if (billingUrl) {
          const target = new URL(billingUrl);
          target.searchParams.set('account', link.subject);
          target.searchParams.set('plan', plan.name);
          return reply
            .header('cache-control', 'no-store')
            .header('referrer-policy', 'no-referrer')
            .redirect(target.toString(), 302);
        }
        return page(
          reply,
          200,
          `Upgrade to ${plan.label}`,
          `To move account ${link.subject} to the ${plan.label} plan, contact the operator of this Lightbox server.`,
        );
      },
    );
  };

function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}
