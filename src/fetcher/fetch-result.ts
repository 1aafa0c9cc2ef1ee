import type { IncomingHttpHeaders } from 'node:http';

export const FETCH_FAILURE_REASONS = [
  'invalid_url', // the caller's URL: malformed, wrong scheme, userinfo, too long
  'blocked', // a refused address, on any hop, or a redirect to a URL the rules refuse
  'dns_failed', // the name did not resolve (or resolved to nothing usable)
  'too_many_redirects', // a redirect beyond maxRedirects (only when requireOk)
  'unreachable', // connect/TLS/protocol error, or the body ended early
  'http_status', // a non-2xx final response (only when requireOk); `status` is set
  'timeout', // the overall deadline passed (DNS, connect, redirects and body together)
  'too_large', // body over maxBytes (declared or counted)
  'type_mismatch', // Content-Type not in `accept`, or the magic bytes disagree with it
] as const;

export type FetchFailureReason = (typeof FETCH_FAILURE_REASONS)[number];

export interface FetchFailure {
  readonly ok: false;
  readonly reason: FetchFailureReason;
  /** Safe to show to the API user: never names an address that DNS (rather than the user) supplied. */
  readonly message: string;
  /** The HTTP status, when a response was received before the failure. */
  readonly status?: number;
  /** For logs only: the refused address and its range, the socket error code, and the like. */
  readonly detail?: string;
}

export interface FetchSuccess {
  readonly ok: true;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The final URL, after redirects. */
  readonly url: string;
  /** True only with `truncate: true`, when the body was cut at maxBytes. */
  readonly truncated: boolean;
}

export interface FileFetchSuccess {
  readonly ok: true;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The path the body was written to (the one the caller passed). */
  readonly path: string;
  /** Size of the file now (with `resumeFrom`: the bytes it held plus those appended). */
  readonly bytes: number;
  /** True when the body was appended to the bytes the file held (a 206 continuing at `resumeFrom`). */
  readonly resumed: boolean;
  readonly url: string;
}

export interface UrlCheckSuccess {
  readonly ok: true;
  /** The normalised URL (WHATWG serialisation). */
  readonly url: string;
  /** Every address the host resolved to; all of them passed the policy. */
  readonly addresses: readonly string[];
}

export type FetchResult = FetchSuccess | FetchFailure;
export type FileFetchResult = FileFetchSuccess | FetchFailure;
export type UrlCheckResult = UrlCheckSuccess | FetchFailure;

export function fetchFailure(
  reason: FetchFailureReason,
  message: string,
  extra: { readonly status?: number | undefined; readonly detail?: string | undefined } = {},
): FetchFailure {
  return {
    ok: false,
    reason,
    message,
    ...(extra.status === undefined ? {} : { status: extra.status }),
    ...(extra.detail === undefined ? {} : { detail: extra.detail }),
  };
}

export const isSuccessStatus = (status: number): boolean => status >= 200 && status <= 299;
