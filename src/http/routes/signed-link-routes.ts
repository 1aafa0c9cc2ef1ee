import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { findAccount } from '../../accounts/accounts-store.ts';
import { approveKey, verifyEmail } from '../../accounts/link-actions.ts';
import { verificationMail } from '../../accounts/verification-mail.ts';
import type { Services } from '../../app/compose.ts';
import { escapeHtml, htmlPage } from '../html-page.ts';

type LinkQuery = { t?: string; exp?: string; sig?: string };

function page(reply: FastifyReply, status: number, title: string, text: string) {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(htmlPage(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`));
}

const invalid = (reply: FastifyReply) =>
  page(reply, 400, 'Link invalid or expired', 'This link is invalid or has expired. Nothing was changed.');

/** The pages behind signed links (API.md §2.8). A bad signature or an expired link changes nothing. */
export const signedLinkRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const { links, store } = services;

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

    app.get<{ Querystring: LinkQuery }>(
      '/approve-key',
      { schema: { hide: true } },
      async (request, reply) => {
        const link = links.verify('/approve-key', request.query);
        if (link?.purpose !== 'approve') return invalid(reply);
        const approved = await approveKey(services, link.subject);
        if (!approved)
          return page(reply, 409, 'Nothing to approve', 'This key was approved, revoked or deleted already.');
        return page(reply, 200, 'Key approved', 'The API key is active now.');
      },
    );

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
          return reply.header('cache-control', 'no-store').redirect(target.toString(), 302);
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
