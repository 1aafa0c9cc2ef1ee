import type { Config } from '../config/config.ts';
import { contactText, heading, nextSteps } from './components.ts';
import { html } from './html.ts';
import { renderDocument } from './layout.ts';
import { pageHeaders } from './page-headers.ts';

/**
 * What a browser gets instead of a JSON envelope (docs/web.md): the same status, code, message and request id, as
 * a page with a way on. The message is the one the envelope carries (so a 5xx never shows internals).
 */
export interface ErrorFacts {
  status: number;
  code: string;
  message: string;
  requestId: string;
  retryAfter?: string | undefined;
  /** The request path: errors under `/admin` lead back to the operator's pages, not the owner's. */
  path?: string | undefined;
}

const TITLES: Record<string, string> = {
  not_found: 'Page not found',
  sign_in_required: 'Please sign in',
  csrf_token_invalid: 'This form has expired',
};

function titleOf(facts: ErrorFacts): string {
  if (TITLES[facts.code]) return TITLES[facts.code] as string;
  if (facts.status === 429) return 'Too many requests';
  if (facts.status >= 500) return 'Something went wrong';
  return 'That did not work';
}

function stepsOf(facts: ErrorFacts) {
  const operator = facts.path?.startsWith('/admin/') === true;
  if (facts.code === 'sign_in_required')
    return [{ href: operator ? '/admin/sign-in' : '/sign-in', label: 'Sign in', primary: true }];
  // Everything else under /admin (an expired form, an account that is gone) leads back to the operator pages.
  if (operator) return [{ href: '/admin', label: 'Back to the operator pages', primary: true }];
  if (facts.code === 'csrf_token_invalid')
    return [{ href: '/dashboard', label: 'Back to the dashboard', primary: true }];
  return [
    { href: '/', label: 'Home', primary: true },
    { href: '/docs/quick-start', label: 'Quick start' },
  ];
}

export function htmlErrorPage(config: Pick<Config, 'supportUrl' | 'supportEmail'>, facts: ErrorFacts) {
  const title = titleOf(facts);
  const wait = facts.retryAfter ? Math.max(1, Math.ceil(Number(facts.retryAfter) / 60)) : null;
  const body = renderDocument({
    view: {
      title,
      main: html`${heading(title)}
<p>${facts.message}</p>
${wait ? html`<p>Try again in ${wait} minute${wait === 1 ? '' : 's'}.</p>` : null}
${facts.status >= 500 ? html`<p>If it keeps happening, contact ${contactText(config)} and quote the request id.</p>` : null}
<p class="muted">Error <code>${facts.code}</code> (HTTP ${facts.status}) · request id <code>${facts.requestId}</code></p>
${nextSteps(stepsOf(facts))}`,
    },
    area: 'site',
    path: '',
    nav: {},
    config,
  });
  return {
    headers: pageHeaders({ scripts: false, imageOrigins: [], cache: 'no-store', referrer: 'no-referrer' }),
    body,
  };
}
