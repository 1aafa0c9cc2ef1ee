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
  // A hosting-only code cannot reach an enhancement route by design; if it does, it is a bug: answer generically.
  const code: ErrorCode = entry.family === 'hosting' ? 'unexpected' : error.code;
  const status = d.status ?? catalog[code].status;
  const message = status >= 500 ? catalog[code].message : (d.message ?? catalog[code].message);
  return { status, body: { error: { code, message, request_id: requestId } }, headers };
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
