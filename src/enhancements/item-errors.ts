import type { FetchFailure } from '../fetcher/index.ts';

/** Item error codes of API.md §3.4 (never create-call errors). */
export const ITEM_ERROR_CODES = [
  'invalid_source_url',
  'source_url_dns_failed',
  'source_url_redirect_limit',
  'source_url_unreachable',
  'download_timeout',
  'file_too_large',
  'unsupported_file_type',
  'content_policy_violation',
  'provider_error',
  'storage_error',
] as const;
export type ItemErrorCode = (typeof ITEM_ERROR_CODES)[number];

export class ItemFailure extends Error {
  constructor(
    readonly code: ItemErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ItemFailure';
  }
}

/** A source download failure, in the item's vocabulary. */
export function itemFailureFromFetch(failure: FetchFailure): ItemFailure {
  const code: Record<FetchFailure['reason'], ItemErrorCode> = {
    invalid_url: 'invalid_source_url',
    blocked: 'invalid_source_url',
    dns_failed: 'source_url_dns_failed',
    too_many_redirects: 'source_url_redirect_limit',
    unreachable: 'source_url_unreachable',
    http_status: 'source_url_unreachable',
    timeout: 'download_timeout',
    too_large: 'file_too_large',
    type_mismatch: 'unsupported_file_type',
  };
  return new ItemFailure(code[failure.reason], failure.message);
}

/** Sandbox: `…#simulate=<item_error_code>` fails the item with that code (API.md §3.4). */
export function simulatedFailure(sourceUrl: string): ItemFailure | null {
  const match = /#simulate=([a-z_]+)$/.exec(sourceUrl);
  if (!match?.[1]) return null;
  const code = match[1] as ItemErrorCode;
  if (!ITEM_ERROR_CODES.includes(code)) return null;
  return new ItemFailure(code, `Simulated ${code} (sandbox).`);
}
