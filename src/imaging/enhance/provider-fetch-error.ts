import type { FetchFailure, FetchFailureReason } from '../../fetcher/fetch-result.ts';

/**
 * What an `HttpFetch` throws when its request got no usable response: the safe fetcher's failure,
 * typed. The http provider decides on `kind` (a `timeout` is retried once; anything else reads "could
 * not be reached"), never on the wording of `message`, which is the fetcher's and may change.
 */
export class ProviderFetchError extends Error {
  override readonly name = 'ProviderFetchError';
  readonly kind: FetchFailureReason;
  /** For logs only (addresses, socket codes). */
  readonly detail: string | undefined;
  readonly status: number | undefined;

  constructor(failure: Pick<FetchFailure, 'reason' | 'message' | 'detail' | 'status'>) {
    super(failure.message);
    this.kind = failure.reason;
    this.detail = failure.detail;
    this.status = failure.status;
  }
}
