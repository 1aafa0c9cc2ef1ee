import { type TSchema, Type } from '@sinclair/typebox';
import { AppError, type AppErrorDetails } from '../../errors/app-error.ts';
import { type ActionType, catalog, type ErrorCode } from '../../errors/catalog.ts';
import { hostingRendering, renderError } from '../../errors/render.ts';
import { type ErrorBody, hostingErrorEnvelope, nestedErrorEnvelope } from '../schemas/errors.ts';

/**
 * The error responses of an operation, generated from the error catalog: a route names the catalog codes it can
 * raise, and each becomes the wire code of the route's envelope (an enhancement code on a hosting route shows as its
 * hosting equivalent), grouped by status, with the catalog's message and recommended handling and an example body
 * rendered by the real renderer. A new catalog code documents itself wherever a route lists it.
 */

/** A catalog code, or one with another status the contract allows for it (`fetch_failed` 504 on timeout). */
export type ErrorSpec = ErrorCode | { code: ErrorCode; status: number };

/** `hosting`: the flat img.pro envelope; `nested`: the enhancement / operator envelope. */
export type Envelope = 'hosting' | 'nested';

/** A response header as the document shows it: a JSON schema with a description. */
export type HeaderDoc = { description: string; type: 'integer' | 'string'; [keyword: string]: unknown };

interface WireError {
  code: string;
  status: number;
  message: string;
  handling: string;
  action: ActionType | undefined;
}

const EXAMPLE_REQUEST_ID = 'req_4f9Qm2Lx7Rt1Vb8Nc3Zk0A';
const EXAMPLE_BASE = 'https://images.example.com';
const EXAMPLE_ACTIONS: Record<ActionType, NonNullable<AppErrorDetails['action']>> = {
  upgrade: {
    type: 'upgrade',
    url: `${EXAMPLE_BASE}/upgrade/pro?t=acc_8d2k&exp=1768469400&sig=9c1f0a7d2b`,
    label: 'Upgrade to Pro ($10/mo) for 1,000 uploads',
  },
  verify: {
    type: 'verify',
    url: `${EXAMPLE_BASE}/verify?t=acc_8d2k&exp=1768469400&sig=4b7e3c9a1f`,
    label: 'Verify email to remove limit',
  },
  wait: { type: 'wait', seconds: 720 },
  redirect: { type: 'redirect', url: `${EXAMPLE_BASE}/keys`, label: 'Request key from dashboard' },
};

function wireError(spec: ErrorSpec, envelope: Envelope): WireError {
  const code = typeof spec === 'string' ? spec : spec.code;
  const override = typeof spec === 'string' ? undefined : spec.status;
  if (envelope === 'hosting') {
    const rendered = hostingRendering(code);
    const entry = catalog[rendered.code as ErrorCode];
    return {
      code: rendered.code,
      status: override ?? rendered.status,
      message: rendered.message,
      handling: entry.handling,
      action: 'action' in entry ? entry.action : undefined,
    };
  }
  // A hosting-only code never reaches a nested-envelope route (render.ts answers it as `unexpected`).
  const wire: ErrorCode = catalog[code].family === 'hosting' ? 'unexpected' : code;
  const entry = catalog[wire];
  return {
    code: wire,
    status: override ?? entry.status,
    message: entry.message,
    handling: entry.handling,
    action: undefined,
  };
}

/** What the example of a code carries besides code and message, as the code's real raisers fill it in. */
function exampleDetails(error: WireError): AppErrorDetails {
  const details: AppErrorDetails = { status: error.status };
  if (error.action) details.action = EXAMPLE_ACTIONS[error.action];
  if (error.code === 'quota_exceeded')
    details.usage = { plan: 'free', uploads_used: 100, uploads_limit: 100 };
  if (error.code === 'validation_error') details.errors = { email: ['Must be a valid email address'] };
  if (error.action === 'wait') details.retryAfter = EXAMPLE_ACTIONS.wait.seconds;
  return details;
}

function exampleBody(error: WireError, envelope: Envelope): Record<string, unknown> {
  const appError = new AppError(error.code as ErrorCode, exampleDetails(error));
  return renderError(appError, envelope === 'hosting' ? 'hosting' : 'enhancement', EXAMPLE_REQUEST_ID).body;
}

/** Catalog text as Markdown text: `<key>` must not read as an HTML tag. */
export const markdownText = (text: string): string => text.replace(/[<>*_]/g, '\\$&');

const describe = (errors: readonly WireError[]): string =>
  errors.map((e) => `- \`${e.code}\`: ${markdownText(e.message)} *${markdownText(e.handling)}*`).join('\n');

/**
 * One response per status, each with the envelope narrowed to its codes, a description listing them, one example
 * per code, and the headers `headersFor(status)` names.
 */
export function errorResponses(
  envelope: Envelope,
  specs: readonly ErrorSpec[],
  headersFor: (status: number) => Record<string, HeaderDoc> | undefined,
): Record<number, TSchema & { static: ErrorBody }> {
  const byStatus = new Map<number, WireError[]>();
  for (const spec of specs) {
    const error = wireError(spec, envelope);
    const list = byStatus.get(error.status) ?? [];
    if (!list.some((e) => e.code === error.code)) list.push(error);
    byStatus.set(error.status, list);
  }
  const responses: Record<number, TSchema & { static: ErrorBody }> = {};
  for (const [status, errors] of [...byStatus].sort(([a], [b]) => a - b)) {
    const codes = errors.map((e) => e.code);
    const headers = headersFor(status);
    const options = {
      'x-response-description': describe(errors),
      'x-examples': Object.fromEntries(
        errors.map((e) => [e.code, { summary: e.message, value: exampleBody(e, envelope) }]),
      ),
      ...(headers ? { headers } : {}),
    };
    const schema =
      envelope === 'hosting'
        ? hostingErrorEnvelope(
            codes,
            {
              action: errors.some((e) => e.action !== undefined),
              usage: codes.includes('quota_exceeded'),
              errors: codes.includes('validation_error'),
              // Anonymous upload limits answer `rate_limited` with a `redirect` action and a top-level `retry_after`.
              retryAfter: codes.includes('rate_limited'),
            },
            options,
          )
        : nestedErrorEnvelope(codes, options);
    responses[status] = Type.Unsafe<ErrorBody>(schema);
  }
  return responses;
}
