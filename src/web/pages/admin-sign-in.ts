import { isAppError } from '../../errors/app-error.ts';
import {
  endAllOperatorSessions,
  endOperatorSession,
  signInOperator,
} from '../../sessions/operator-sessions.ts';
import { safeNextPath } from '../../sessions/sign-in.ts';
import { heading, notice } from '../components.ts';
import { type Html, html } from '../html.ts';
import type { FormDef, PageContext, PageDef, PageView } from '../page.ts';
import { operatorCookie } from '../session-cookie.ts';
import { adminStyles, OPERATOR_SIGN_IN_PATH, OPERATOR_SIGN_OUT_PATH, operatorDeps } from './admin-shared.ts';

/**
 * Operator sign-in (docs/web.md, "Operator pages"): the admin token typed once into a form (POST), checked in
 * constant time and rate limited per IP, starts an operator session; the token is never echoed into a page, a
 * cookie or a redirect. `/admin/sign-out` ends this browser's operator session, `/admin/sign-out/everywhere` all.
 */
const HOME = '/admin';

const SIGNED_OUT: Record<string, string> = {
  '1': 'You are signed out of the operator pages.',
  all: 'Every operator session is ended, on every device.',
};

/** Only operator pages are somewhere to return to after signing in with the admin token. */
const nextOf = (value: unknown): string | null => {
  const next = safeNextPath(value);
  return next && (next === HOME || next.startsWith(`${HOME}/`) || next.startsWith(`${HOME}?`)) ? next : null;
};

function signInForm(options: { next: string | null; error?: string; message?: Html }): Html {
  return html`${heading('Operator sign-in', 'The operator pages manage every account of this server. Sign in with its admin token.')}
${options.message ?? null}
<form method="post" action="${OPERATOR_SIGN_IN_PATH}" class="stack narrow" novalidate>
<div class="field${options.error ? ' has-error' : ''}">
<label for="admin-token">Admin token</label>
<input id="admin-token" name="token" type="password" autocomplete="current-password" required maxlength="1024" spellcheck="false" aria-describedby="admin-token-help${options.error ? ' admin-token-error' : ''}"${options.error ? html` aria-invalid="true"` : null}>
${options.error ? html`<p class="field-error" id="admin-token-error">${options.error}</p>` : null}
<p class="help" id="admin-token-help"><code>LIGHTBOX_ADMIN_TOKEN</code>, or the token the server printed on its first start (kept in <code>&lt;data directory&gt;/admin-token</code>).</p>
</div>
${options.next ? html`<input type="hidden" name="next" value="${options.next}">` : null}
<button type="submit" class="primary">Sign in</button>
</form>
<p class="muted">Account owners sign in to their dashboard <a href="/sign-in">with an emailed link</a> instead.</p>`;
}

function signInPage(ctx: PageContext): PageView {
  const signedOut = typeof ctx.query.signed_out === 'string' ? SIGNED_OUT[ctx.query.signed_out] : undefined;
  return {
    title: 'Operator sign-in',
    head: adminStyles(),
    main: signInForm({
      next: nextOf(ctx.query.next),
      ...(signedOut ? { message: notice('success', signedOut) } : {}),
    }),
  };
}

async function signIn(ctx: PageContext, fields: Readonly<Record<string, string>>) {
  const next = nextOf(fields.next);
  const cookies = operatorCookie(ctx.services.config);
  try {
    const sessionId = await signInOperator(operatorDeps(ctx.services), {
      token: fields.token,
      ip: ctx.request.ip,
      replacing: cookies.read(ctx.request),
    });
    return {
      redirect: next ?? HOME,
      status: 303 as const,
      session: { start: sessionId, kind: 'operator' as const },
    };
  } catch (error) {
    // A wrong token: the form again, empty (what was typed is never sent back), with the reason.
    if (isAppError(error) && error.code === 'invalid_api_key') {
      return {
        status: 401,
        title: 'Operator sign-in',
        head: adminStyles(),
        main: signInForm({ next, error: error.details.message ?? 'That is not the admin token.' }),
      } satisfies PageView;
    }
    throw error;
  }
}

export const ADMIN_SIGN_IN_PAGES: readonly PageDef[] = [
  { path: OPERATOR_SIGN_IN_PATH, area: 'admin', access: 'public', cache: 'no-store', render: signInPage },
];

export const ADMIN_SIGN_IN_FORMS: readonly FormDef[] = [
  { path: OPERATOR_SIGN_IN_PATH, area: 'admin', access: 'public', handle: signIn },
  {
    path: OPERATOR_SIGN_OUT_PATH,
    area: 'admin',
    access: 'operator',
    handle: async (ctx) => {
      await endOperatorSession(operatorDeps(ctx.services), ctx.operator.id);
      return {
        redirect: `${OPERATOR_SIGN_IN_PATH}?signed_out=1`,
        status: 303,
        session: { end: true, kind: 'operator' },
      };
    },
  },
  {
    path: '/admin/sign-out/everywhere',
    area: 'admin',
    access: 'operator',
    handle: async (ctx) => {
      await endAllOperatorSessions(ctx.services);
      return {
        redirect: `${OPERATOR_SIGN_IN_PATH}?signed_out=all`,
        status: 303,
        session: { end: true, kind: 'operator' },
      };
    },
  },
];
