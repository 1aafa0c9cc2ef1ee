import type { Services } from '../../app/compose.ts';
import { AppError, isAppError } from '../../errors/app-error.ts';
import { catalog } from '../../errors/catalog.ts';
import type { OperatorDeps } from '../../sessions/operator-sessions.ts';
import { assetUrl } from '../assets.ts';
import { notice } from '../components.ts';
import { type Html, html } from '../html.ts';
import type { OperatorContext, PageView } from '../page.ts';

/**
 * What the operator pages (`/admin`, docs/web.md "Operator pages") share: their stylesheet and script, the CSRF
 * field of their forms, the notices after a change, and how a refused change is shown.
 */
export const OPERATOR_SIGN_IN_PATH = '/admin/sign-in';
export const OPERATOR_SIGN_OUT_PATH = '/admin/sign-out';

/** The operator session's dependencies, from the services (the admin token is the only secret it needs). */
export const operatorDeps = (services: Services): OperatorDeps => ({
  store: services.store,
  limiter: services.limiter,
  adminToken: services.secrets.adminToken,
  config: services.config,
});

/** The operator pages' stylesheet, besides the site's (the sign-in page has it too). */
export const adminStyles = (): Html => html`<link rel="stylesheet" href="${assetUrl('admin.css')}">`;

/** An operator page: its own stylesheet and `admin.js` (confirmations, copy buttons). */
export function adminView(view: PageView): PageView {
  return { ...view, scripts: ['admin.js'], head: html`${adminStyles()}${view.head ?? null}` };
}

export const csrfField = (ctx: OperatorContext): Html =>
  html`<input type="hidden" name="csrf" value="${ctx.csrfToken}">`;

/**
 * The notice after a change (Post/Redirect/Get: the form redirects to `?done=<what>`). Only the page's own messages
 * can appear, so a crafted link cannot put words on an operator page.
 */
export function doneNotice(query: Readonly<Record<string, unknown>>, messages: Record<string, string>) {
  const done = typeof query.done === 'string' ? messages[query.done] : undefined;
  return done ? notice('success', done) : null;
}

/** A change the service refused (bad input, not found, conflict): its status and message, for the page to show. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

/** The refusal an error stands for, or the error itself thrown again (5xx are the error page's, with the log). */
export function refusalOf(error: unknown): Refusal {
  if (!isAppError(error)) throw error;
  const status = error.details.status ?? catalog[error.code].status;
  if (status >= 500) throw error;
  return { status, code: error.code, message: error.details.message ?? catalog[error.code].message };
}

export const refusalNotice = (refusal: Refusal | undefined) =>
  refusal ? notice('error', html`${refusal.message} <span class="muted">(${refusal.code})</span>`) : null;

/** A form field that must be one of `allowed`; anything else is `invalid_payload` naming the field. */
export function oneOf<T extends string>(
  fields: Readonly<Record<string, string>>,
  name: string,
  allowed: readonly T[],
): T {
  const value = fields[name];
  if (value !== undefined && (allowed as readonly string[]).includes(value)) return value as T;
  throw new AppError('invalid_payload', {
    message: `${name} must be one of: ${allowed.join(', ')}.`,
    errors: { [name]: [`Must be one of: ${allowed.join(', ')}`] },
  });
}

/** An optional text field: trimmed, at most `max` characters, or `invalid_payload`. Empty is absent. */
export function optionalText(
  fields: Readonly<Record<string, string>>,
  name: string,
  max: number,
): string | undefined {
  const value = (fields[name] ?? '').trim();
  if (value.length > max) {
    throw new AppError('invalid_payload', {
      message: `${name} is longer than ${max} characters.`,
      errors: { [name]: [`At most ${max} characters`] },
    });
  }
  return value === '' ? undefined : value;
}

/** `yyyy-mm-dd` → the end of that day in UTC (ISO), for expiry dates typed without a time; empty → null. */
export function endOfDayUtc(fields: Readonly<Record<string, string>>, name: string): string | null {
  const value = (fields[name] ?? '').trim();
  if (value === '') return null;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T23:59:59Z`) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new AppError('invalid_payload', {
      message: `${name} must be a date (yyyy-mm-dd).`,
      errors: { [name]: ['Must be a date (yyyy-mm-dd)'] },
    });
  }
  if (ms <= Date.now()) {
    throw new AppError('invalid_payload', {
      message: `${name} must be in the future.`,
      errors: { [name]: ['Must be in the future'] },
    });
  }
  return new Date(ms).toISOString();
}

/** `3 h 5 min`, `42 s`: how long, for people. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

/** An ISO instant of the operator API's shapes as Unix ms (null stays null), for `time()` and `day()`. */
export const msOf = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** An ISO instant to the second (`2025-01-31 14:05:09 UTC`): webhook attempts are seconds apart. */
export function preciseTime(iso: string | null): Html {
  if (iso === null) return html`<span class="muted">—</span>`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 19)} UTC</time>`;
}

/** An id made safe for a URL path segment. */
export const pathSegment = (id: string): string => encodeURIComponent(id);
