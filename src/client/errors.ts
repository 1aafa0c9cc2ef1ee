/** Which API answered: the hosting family's flat envelope or the enhancement family's nested one. */
export type ApiFamily = 'hosting' | 'enhancement';

/** What the server suggests doing about a hosting error (docs/api.md §2). */
export interface ErrorAction {
  type: 'upgrade' | 'verify' | 'wait' | 'redirect';
  url?: string;
  label?: string;
  seconds?: number;
}

export interface ErrorUsage {
  plan: string;
  uploads_used: number;
  uploads_limit: number;
}

/** Every error this client throws. */
export class LightboxError extends Error {
  override name = 'LightboxError';
}

/**
 * The server answered with an error envelope. `code` is the family's wire code (docs/errors.md); `retry_after`
 * is in seconds, from the body or the `Retry-After` header.
 */
export class LightboxApiError extends LightboxError {
  override name = 'LightboxApiError';
  readonly family: ApiFamily;
  readonly status: number;
  readonly code: string;
  readonly request_id: string | null;
  readonly retry_after: number | null;
  readonly action: ErrorAction | null;
  readonly usage: ErrorUsage | null;
  /** Field name → messages (hosting validation errors). */
  readonly errors: Record<string, string[]> | null;
  /** The parsed body as it came (or the text, when it was not JSON). */
  readonly body: unknown;

  constructor(input: {
    family: ApiFamily;
    status: number;
    code: string;
    message: string;
    request_id: string | null;
    retry_after: number | null;
    action?: ErrorAction | null;
    usage?: ErrorUsage | null;
    errors?: Record<string, string[]> | null;
    body: unknown;
  }) {
    super(input.message);
    this.family = input.family;
    this.status = input.status;
    this.code = input.code;
    this.request_id = input.request_id;
    this.retry_after = input.retry_after;
    this.action = input.action ?? null;
    this.usage = input.usage ?? null;
    this.errors = input.errors ?? null;
    this.body = input.body;
  }
}

/** An error of `/v1` (img.pro-compatible codes: `quota_exceeded`, `validation_error`, …). */
export class HostingApiError extends LightboxApiError {
  override name = 'HostingApiError';
}

/** An error of `/api/v1` (AI Gen Studio codes: `insufficient_api_credits`, `idempotency_conflict`, …). */
export class EnhancementApiError extends LightboxApiError {
  override name = 'EnhancementApiError';
}

/** No answer: the server could not be reached, the connection broke, or the attempt timed out. */
export class LightboxNetworkError extends LightboxError {
  override name = 'LightboxNetworkError';
  constructor(
    message: string,
    readonly reason: 'unreachable' | 'timeout' | 'broken',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `waitForEnhancement` gave up before the batch reached a terminal status. */
export class LightboxTimeoutError extends LightboxError {
  override name = 'LightboxTimeoutError';
}

/** A webhook whose signature, timestamp or body does not check out: reject it (answer 400/401). */
export class WebhookVerificationError extends LightboxError {
  override name = 'WebhookVerificationError';
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** `Retry-After` as seconds (delta form or an HTTP date); null when absent or unreadable. */
function retryAfterSeconds(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The typed error of an error answer, whatever its shape (a proxy's HTML page included). */
export function errorFromResponse(family: ApiFamily, response: Response, text: string): LightboxApiError {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  const headerWait = retryAfterSeconds(response.headers.get('retry-after'));
  const outer = obj(body);
  const nested = obj(outer?.error);
  const Kind = family === 'hosting' ? HostingApiError : EnhancementApiError;
  if (nested && typeof nested.code === 'string') {
    return new Kind({
      family,
      status: response.status,
      code: nested.code,
      message: typeof nested.message === 'string' ? nested.message : nested.code,
      request_id: typeof nested.request_id === 'string' ? nested.request_id : requestIdOf(response),
      retry_after: headerWait,
      body,
    });
  }
  if (outer && typeof outer.error === 'string') {
    const action = obj(outer.action) as ErrorAction | null;
    return new Kind({
      family,
      status: response.status,
      code: outer.error,
      message: typeof outer.message === 'string' ? outer.message : outer.error,
      request_id: typeof outer.request_id === 'string' ? outer.request_id : requestIdOf(response),
      retry_after: num(outer.retry_after) ?? headerWait ?? num(action?.seconds),
      action,
      usage: obj(outer.usage) as ErrorUsage | null,
      errors: obj(outer.errors) as Record<string, string[]> | null,
      body,
    });
  }
  return new Kind({
    family,
    status: response.status,
    code: `http_${response.status}`,
    message: `HTTP ${response.status} ${response.statusText}`.trim(),
    request_id: requestIdOf(response),
    retry_after: headerWait,
    body,
  });
}

const requestIdOf = (response: Response) => response.headers.get('x-request-id');
