import { isAppError } from '../../errors/app-error.ts';
import { endAllSessions, endSession, startSession } from '../../sessions/sessions.ts';
import {
  completeSignIn,
  peekSignIn,
  requestSignIn,
  SIGN_IN_CONTINUE_PATH,
  SIGN_IN_LINK_TTL_MS,
  safeNextPath,
} from '../../sessions/sign-in.ts';
import { heading, maskEmail, nextSteps, notice } from '../components.ts';
import { type Html, html } from '../html.ts';
import type { FormDef, PageContext, PageDef, PageView } from '../page.ts';
import { sessionCookie } from '../session-cookie.ts';

/**
 * Sign-in for account owners by an emailed one-time link (docs/web.md): `/sign-in` asks for the address and mails a
 * link; the link opens `/sign-in/continue`, whose button (POST) spends it — so a mail scanner that opens the link
 * spends nothing — and starts a session. `/sign-out` ends this browser's session, `/sign-out/everywhere` all of the
 * account's.
 */
const DEFAULT_NEXT = '/dashboard';
const MINUTES = SIGN_IN_LINK_TTL_MS / 60_000;

const SIGNED_OUT: Record<string, string> = {
  '1': 'You are signed out.',
  all: 'You are signed out on every device and browser.',
};

function signInForm(options: { next: string | null; email?: string; error?: string; message?: Html }) {
  const errorId = options.error ? 'email-error' : undefined;
  return html`${heading('Sign in', 'Account owners sign in with a link we email to them: no password to remember or leak.')}
${options.message ?? null}
<form method="post" action="/sign-in" class="stack narrow" novalidate>
<div class="field${options.error ? ' has-error' : ''}">
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="email" required maxlength="320" value="${options.email ?? ''}"${errorId ? html` aria-invalid="true" aria-describedby="${errorId}"` : null}>
${options.error ? html`<p class="field-error" id="${errorId}">${options.error}</p>` : null}
</div>
${options.next ? html`<input type="hidden" name="next" value="${options.next}">` : null}
<button type="submit" class="primary">Email me a sign-in link</button>
</form>
<h2>No account yet?</h2>
<p>Accounts are made with your first API key: <a href="/docs/quick-start">the quick start</a> shows the one <code>curl</code> command it takes. Then come back here with the same address.</p>`;
}

function signInPage(ctx: PageContext): PageView {
  const next = safeNextPath(ctx.query.next);
  const signedOut = typeof ctx.query.signed_out === 'string' ? SIGNED_OUT[ctx.query.signed_out] : undefined;
  return {
    title: 'Sign in',
    main: signInForm({ next, ...(signedOut ? { message: notice('success', signedOut) } : {}) }),
  };
}

async function sendLink(ctx: PageContext, fields: Readonly<Record<string, string>>): Promise<PageView> {
  const next = safeNextPath(fields.next);
  try {
    await requestSignIn(ctx.services, { email: fields.email, ip: ctx.request.ip, next });
  } catch (error) {
    // A mistyped address: the form again, with the message next to the field.
    if (isAppError(error) && error.code === 'invalid_payload') {
      const message = error.details.errors?.email?.[0] ?? 'Enter a valid email address';
      return {
        status: 422,
        title: 'Sign in',
        main: signInForm({ next, email: fields.email ?? '', error: message }),
      };
    }
    throw error;
  }
  return {
    title: 'Check your inbox',
    main: html`${heading('Check your inbox')}
<p>If an account uses <strong>${fields.email?.trim() ?? ''}</strong>, a sign-in link is on its way to it. The link works once, for ${MINUTES} minutes.</p>
<p>Nothing arrived? Check the spam folder, or <a href="/sign-in">ask for another link</a>. On a server without outgoing mail, the operator can read the link from the outbox.</p>`,
  };
}

const linkUnusable = (): PageView => ({
  status: 400,
  title: 'Sign-in link invalid or expired',
  referrer: 'no-referrer',
  main: html`${heading('Sign-in link invalid or expired')}
<p>This sign-in link was used already, has expired (links work for ${MINUTES} minutes), or is not one of ours. Nothing was changed.</p>
${nextSteps([{ href: '/sign-in', label: 'Get a new link', primary: true }])}`,
});

async function continuePage(ctx: PageContext): Promise<PageView> {
  const token = ctx.query.token;
  const pending = await peekSignIn(ctx.services, token);
  if (!pending || typeof token !== 'string') return linkUnusable();
  return {
    title: 'Continue signing in',
    referrer: 'no-referrer',
    main: html`${heading('Continue signing in')}
<p>You are signing in as <strong>${maskEmail(pending.email)}</strong>.</p>
<form method="post" action="${SIGN_IN_CONTINUE_PATH}"><input type="hidden" name="token" value="${token}">
<button type="submit" class="primary">Continue</button></form>
<p class="muted">The link works once. If you did not ask to sign in, close this page.</p>`,
  };
}

async function spendLink(ctx: PageContext, fields: Readonly<Record<string, string>>) {
  const signedIn = await completeSignIn(ctx.services, fields.token);
  if (!signedIn) return linkUnusable();
  const sessionId = await startSession(ctx.services, {
    accountId: signedIn.accountId,
    replacing: sessionCookie(ctx.services.config).read(ctx.request),
  });
  return { redirect: signedIn.next ?? DEFAULT_NEXT, status: 303 as const, session: { start: sessionId } };
}

export const SIGN_IN_PAGES: readonly PageDef[] = [
  { path: '/sign-in', area: 'dashboard', access: 'public', cache: 'no-store', render: signInPage },
  {
    path: SIGN_IN_CONTINUE_PATH,
    area: 'dashboard',
    access: 'public',
    cache: 'no-store',
    render: continuePage,
  },
];

export const SIGN_IN_FORMS: readonly FormDef[] = [
  { path: '/sign-in', area: 'dashboard', access: 'public', handle: sendLink },
  { path: SIGN_IN_CONTINUE_PATH, area: 'dashboard', access: 'public', handle: spendLink },
  {
    path: '/sign-out',
    area: 'dashboard',
    access: 'owner',
    handle: async (ctx) => {
      await endSession(ctx.services, ctx.session.id);
      return { redirect: '/sign-in?signed_out=1', status: 303, session: { end: true } };
    },
  },
  {
    path: '/sign-out/everywhere',
    area: 'dashboard',
    access: 'owner',
    handle: async (ctx) => {
      await endAllSessions(ctx.services, ctx.session.account.id);
      return { redirect: '/sign-in?signed_out=all', status: 303, session: { end: true } };
    },
  },
];
