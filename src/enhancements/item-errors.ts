import { type ItemErrorCode, itemErrorCatalog } from '../errors/catalog.ts';
import type { FetchFailure } from '../fetcher/index.ts';

/** Item error codes of docs/api.md §3.4 (never create-call errors), as the error catalog lists them. */
const ITEM_ERROR_CODES = Object.keys(itemErrorCatalog) as ItemErrorCode[];

export type { ItemErrorCode };

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

/** Sandbox: `…#simulate=<item_error_code>` fails the item with that code (docs/api.md §3.4). */
export function simulatedFailure(sourceUrl: string): ItemFailure | null {
  const match = /#simulate=([a-z_]+)$/.exec(sourceUrl);
  if (!match?.[1]) return null;
  const code = match[1] as ItemErrorCode;
  if (!ITEM_ERROR_CODES.includes(code)) return null;
  return new ItemFailure(code, `Simulated ${code} (sandbox).`);
}
