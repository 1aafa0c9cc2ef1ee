import type { AppError } from './app-error.ts';
import { catalog, type ErrorCode, type Family } from './catalog.ts';

export interface RenderedError {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Which envelope a path answers in. */
export function familyOf(url: string): Family {
  if (url.startsWith('/api/')) return 'enhancement';
  if (url.startsWith('/admin/')) return 'admin';
  if (url.startsWith('/dashboard/api/')) return 'web';
  return 'hosting';
}

/**
 * Renders a catalog error in the family's envelope. 5xx responses carry only the catalog message, never
 * whatever internal message the error was created with.
 */
export function renderError(error: AppError, family: Family, requestId: string): RenderedError {
  const d = error.details;
  const headers: Record<string, string> = { ...d.headers };
  if (d.retryAfter !== undefined) headers['retry-after'] = String(d.retryAfter);

  if (family === 'hosting') {
    const { code, message, status, native } = hostingRendering(error.code);
    const finalStatus = d.status ?? status;
    // A code translated from the other family keeps the hosting wording; `server_error` never shows internals.
    const body: Record<string, unknown> = {
      error: code,
      message: native && code !== 'server_error' ? (d.message ?? message) : message,
    };
    if (d.action) body.action = d.action;
    if (d.usage) body.usage = d.usage;
    if (d.errors) body.errors = d.errors;
    if (d.retryAfter !== undefined && d.action?.type !== 'wait') body.retry_after = d.retryAfter;
    body.request_id = requestId;
    return { status: finalStatus, body, headers };
  }

  const entry = catalog[error.code];
  // The dashboard (`web`) calls the hosting domain too (uploads, media edits): hosting codes keep their meaning
  // there. Elsewhere a hosting-only code cannot reach a nested-envelope route by design; if it does, it is a bug:
  // answer generically.
  const hostingCode = entry.family === 'hosting';
  const code: ErrorCode = hostingCode && family !== 'web' ? 'unexpected' : error.code;
  const status = d.status ?? catalog[code].status;
  // 5xx answers carry only the catalog message, except hosting's own failures (`upload_failed`: what is wrong with
  // the file), whose messages are written for the client as in the flat envelope.
  const ownMessage = status < 500 || (hostingCode && family === 'web' && code !== 'server_error');
  const message = ownMessage ? (d.message ?? catalog[code].message) : catalog[code].message;
  const body: Record<string, unknown> = { code, message };
  // The dashboard's forms show field errors next to their fields, and a quota's way out.
  if (family === 'web' && d.errors) body.errors = d.errors;
  if (family === 'web' && d.action) body.action = d.action;
  body.request_id = requestId;
  return { status, body: { error: body }, headers };
}

/** The code, message and status a catalog code answers with on a hosting route (also used by the OpenAPI document). */
export function hostingRendering(code: ErrorCode): {
  code: string;
  message: string;
  status: number;
  native: boolean;
} {
  const entry = catalog[code];
  if (entry.family === 'hosting' || entry.family === 'shared') {
    return { code, message: entry.message, status: entry.status, native: true };
  }
  const mapped = 'hosting' in entry && entry.hosting ? entry.hosting : { code: 'server_error' as const };
  const target = catalog[mapped.code];
  return {
    code: mapped.code,
    message: ('message' in mapped && mapped.message) || target.message,
    status: target.status,
    native: mapped.code === code,
  };
}
