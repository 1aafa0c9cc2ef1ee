/**
 * The one error catalog. Every error the API can answer is here with its status, message and family.
 *
 * - `enhancement` codes are the AI Gen Studio wire codes (nested envelope); `/admin/v1` renders in that envelope too.
 * - `hosting` codes are the img.pro wire codes (flat envelope).
 * - `web` codes are the owner dashboard's JSON endpoints (`/dashboard/api`, nested envelope) and its forms.
 * - An enhancement-family code raised on a hosting route is rendered as its `hosting` equivalent (auth failures
 *   collapse to `unauthorized`/`forbidden` there), so domain code raises one code whatever the family.
 */
export type Family = 'enhancement' | 'hosting' | 'admin' | 'web';
/** `shared` codes are native to every envelope (`not_found`: img.pro's code, also our nested 404). */
export type CodeFamily = Family | 'shared';
export type ActionType = 'upgrade' | 'verify' | 'wait' | 'redirect';
/** Hosting codes that enhancement-family codes collapse to on hosting routes. */
type HostingCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'validation_error'
  | 'rate_limited'
  | 'server_error';

export interface CatalogEntry {
  status: number;
  family: CodeFamily;
  message: string;
  /** Recommended client handling, as published. */
  handling: string;
  retryable: boolean;
  action?: ActionType;
  /** How this code renders on a hosting route, when it is not a hosting code itself. */
  hosting?: { code: HostingCode; message?: string };
}

const e = (
  status: number,
  family: CodeFamily,
  message: string,
  handling: string,
  extra: Partial<Pick<CatalogEntry, 'retryable' | 'action' | 'hosting'>> = {},
): CatalogEntry => ({ status, family, message, handling, retryable: false, ...extra });

const unauthorized = (message?: string) => ({
  code: 'unauthorized' as const,
  ...(message ? { message } : {}),
});
const forbidden = { code: 'forbidden' as const };

export const catalog = {
  // Enhancement family: authentication and account
  missing_api_key: e(401, 'enhancement', 'Missing API key.', 'Send Authorization: Bearer <api_key>.', {
    hosting: unauthorized(),
  }),
  invalid_api_key: e(401, 'enhancement', 'Invalid API key.', 'Check the key value and header format.', {
    hosting: unauthorized(),
  }),
  api_key_expired: e(401, 'enhancement', 'API key expired.', 'Rotate to a non-expired key.', {
    hosting: unauthorized('API key expired'),
  }),
  api_key_inactive: e(401, 'enhancement', 'API key is not active.', 'Reactivate or rotate the key.', {
    hosting: unauthorized('API key is not active'),
  }),
  api_key_revoked: e(401, 'enhancement', 'API key revoked.', 'Rotate to a new key.', {
    hosting: unauthorized('API key revoked'),
  }),
  api_key_environment_mismatch: e(
    403,
    'enhancement',
    'This resource belongs to the other key environment.',
    'Use a key from the correct environment.',
    { hosting: { code: 'not_found', message: 'Media not found' } },
  ),
  email_not_verified: e(
    403,
    'enhancement',
    'Verify the account email before using live keys.',
    'Verify the account email before using the API.',
    { hosting: forbidden },
  ),
  account_suspended: e(403, 'enhancement', 'Account suspended.', 'Contact support.', { hosting: forbidden }),
  api_access_not_enabled: e(
    403,
    'enhancement',
    'Live API access requires at least 200 purchased credits.',
    'Ensure the account meets live API credit requirements.',
    { hosting: forbidden },
  ),
  payment_risk_restricted: e(
    403,
    'enhancement',
    'Account restricted for billing or risk review.',
    'Resolve the account billing or risk restriction.',
    { hosting: forbidden },
  ),

  // Enhancement family: request validation
  invalid_payload: e(
    400,
    'enhancement',
    'The request payload is invalid.',
    'Fix the JSON body before retrying.',
    {
      hosting: { code: 'validation_error', message: 'Validation failed' },
    },
  ),
  invalid_idempotency_key: e(
    400,
    'enhancement',
    'Idempotency-Key header must be 8-160 characters of [A-Za-z0-9._:-].',
    'Send a valid Idempotency-Key header.',
  ),
  invalid_webhook_url: e(
    400,
    'enhancement',
    'webhook_url must be a public HTTPS URL.',
    'Use a public HTTPS webhook URL.',
  ),
  content_policy_violation: e(
    422,
    'enhancement',
    'The instructions violate the content policy.',
    'Remove unsupported content from the request.',
  ),

  // Enhancement family: enhancements and credits
  insufficient_api_credits: e(
    402,
    'enhancement',
    'Not enough paid API credits for this batch.',
    'Add paid API-eligible credits or reduce batch size.',
  ),
  idempotency_conflict: e(
    409,
    'enhancement',
    'This Idempotency-Key was already used with a different request body.',
    'Use the same body for the same key, or create a new key for a new batch.',
  ),
  too_many_active_enhancements: e(
    429,
    'enhancement',
    'Too many active enhancements. Wait for one to finish.',
    'Wait for an active batch to finish.',
    { retryable: true },
  ),
  rate_limit_exceeded: e(
    429,
    'enhancement',
    'Rate limit exceeded.',
    'Wait for Retry-After before retrying.',
    {
      retryable: true,
      hosting: { code: 'rate_limited', message: 'Too many requests. Try again later.' },
    },
  ),
  enhancement_not_found: e(
    404,
    'enhancement',
    'Enhancement not found.',
    'Check the enhancement id and key environment.',
  ),
  invalid_enhancement_id: e(
    400,
    'enhancement',
    'Enhancement id must be a UUID.',
    'Send a valid UUID enhancement id.',
  ),
  not_found: e(404, 'shared', 'Not found', 'Check the id, the method and the path.'),

  // Enhancement family: system
  rate_limit_unavailable: e(500, 'enhancement', 'Rate limiting is unavailable.', 'Retry later.', {
    retryable: true,
    hosting: { code: 'server_error' },
  }),
  queue_unavailable: e(
    503,
    'enhancement',
    'The job queue is unavailable. Reserved credits were released.',
    'Retry later; reserved credits are refunded when queueing fails.',
    { retryable: true, hosting: { code: 'server_error' } },
  ),
  unexpected: e(
    500,
    'enhancement',
    'An unexpected error occurred.',
    'Retry later or contact support with request_id.',
    {
      retryable: true,
      hosting: { code: 'server_error' },
    },
  ),

  // Operator API (nested envelope)
  conflict: e(409, 'admin', 'The resource already exists.', 'Use the existing resource.'),

  // Web pages and the owner dashboard (nested envelope on `/dashboard/api`, HTML pages for browsers)
  sign_in_required: e(
    401,
    'web',
    'Sign in to continue.',
    'Sign in again: the session is missing, expired or signed out.',
  ),
  csrf_token_invalid: e(
    403,
    'web',
    'The request did not carry the CSRF token of this session.',
    'Reload the page and try again.',
  ),
  active_key_limit_reached: e(
    403,
    'web',
    'This account has as many active keys as it may have.',
    'Deactivate, revoke or delete a key first.',
  ),

  // Hosting family (flat envelope)
  unauthorized: e(
    401,
    'hosting',
    'Invalid or missing API key',
    'Send a valid key as Authorization: Bearer <key>.',
  ),
  forbidden: e(403, 'hosting', 'Insufficient permissions', 'The key is valid but may not do this.'),
  quota_exceeded: e(
    403,
    'hosting',
    'Monthly upload limit reached.',
    'Follow the action: upgrade or verify.',
    {
      action: 'upgrade',
    },
  ),
  registration_closed: e(
    403,
    'hosting',
    'This account does not accept new API key registrations.',
    'Request a key from the dashboard (redirect action).',
    { action: 'redirect' },
  ),
  key_limit_reached: e(
    403,
    'hosting',
    'Unverified accounts can have 3 active keys. Verify your email to create more.',
    'Verify the email (verify action).',
    { action: 'verify' },
  ),
  rate_limited: e(429, 'hosting', 'Too many requests. Try again later.', 'Wait Retry-After seconds.', {
    retryable: true,
    action: 'wait',
  }),
  validation_error: e(422, 'hosting', 'Validation failed', 'Fix the fields listed in errors.'),
  upload_failed: e(500, 'hosting', 'Upload failed', 'Fix the file (type, size, integrity) or retry.'),
  fetch_failed: e(
    502,
    'hosting',
    'URL fetch failed',
    'Check that the URL is public and reachable (504: timeout).',
    {
      retryable: true,
    },
  ),
  import_failed: e(500, 'hosting', 'Import failed', 'The URL did not return a usable image.'),
  update_failed: e(500, 'hosting', 'Update failed', 'Retry later.', { retryable: true }),
  delete_failed: e(500, 'hosting', 'Delete failed', 'Retry later.', { retryable: true }),
  server_error: e(500, 'hosting', 'Internal server error', 'Retry later; quote request_id.', {
    retryable: true,
  }),
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof catalog;

/**
 * Enhancement item failures (docs/api.md §3.4): never an HTTP error, they are the `error_code` of a failed item in
 * status responses and webhooks.
 */
export const itemErrorCatalog = {
  invalid_source_url: {
    message: 'The source URL is not a public HTTP or HTTPS URL.',
    handling: 'Use a public HTTP or HTTPS image URL that passes target validation.',
  },
  source_url_dns_failed: {
    message: 'The source host name did not resolve.',
    handling: 'Fix the source image hostname or DNS configuration.',
  },
  source_url_redirect_limit: {
    message: 'The source URL redirected more than 3 times.',
    handling: 'Reduce redirects to 3 or fewer.',
  },
  source_url_unreachable: {
    message: 'The source URL could not be fetched.',
    handling: 'Make the image URL reachable by the server.',
  },
  download_timeout: {
    message: 'Downloading the source image timed out.',
    handling: 'Improve source hosting reliability or retry later.',
  },
  file_too_large: {
    message: 'The source image is larger than 10 MB.',
    handling: 'Use an image under 10 MB.',
  },
  unsupported_file_type: {
    message: 'The source is not a JPEG, PNG or WebP image with a matching Content-Type.',
    handling: 'Use JPEG, PNG, or WebP with a correct MIME type.',
  },
  content_policy_violation: {
    message: 'The image or instructions violate the content policy.',
    handling: 'Remove unsupported content from the request.',
  },
  provider_error: {
    message:
      'The enhancement provider failed on this image, or refused it because it could not make a result it can stand behind; `error_message` says why.',
    handling:
      'A refusal (product too close to the backdrop colour, no studio backdrop, product too small) needs another photo; otherwise retry later with a new batch and new idempotency key.',
  },
  storage_error: {
    message: 'Storing the result failed.',
    handling: 'Retry later with a new batch and new idempotency key.',
  },
} as const satisfies Record<string, { message: string; handling: string }>;

export type ItemErrorCode = keyof typeof itemErrorCatalog;
