import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { rootCertificates } from 'node:tls';
import { AddressPolicy } from './address-policy.ts';
import { magicMismatch, readBoundedBody, tooLarge, writeBoundedBody } from './body-reader.ts';
import { Deadline } from './deadline.ts';
import {
  type FetchFailure,
  type FetchResult,
  type FileFetchResult,
  fetchFailure,
  isSuccessStatus,
  type UrlCheckResult,
} from './fetch-result.ts';
import { type HopContext, type HopRequest, requestHop, resolveAndCheck } from './pinned-request.ts';
import { type Resolver, systemResolver } from './resolver.ts';
import { declaredMimeType, type ImageMimeType, sniffImageType } from './sniff.ts';
import { type AcceptedUrl, acceptRedirect, acceptUrl } from './url-rules.ts';

export interface SafeFetcherOptions {
  /** Extra networks that may be reached although the policy refuses them (`LIGHTBOX_FETCH_ALLOW_CIDRS`). */
  readonly allowCidrs?: readonly string[];
  /** Defaults to the system resolver; tests pass a stub. */
  readonly resolver?: Resolver;
  readonly userAgent?: string;
  /**
   * PEM certificates trusted in addition to the system roots (`LIGHTBOX_FETCH_EXTRA_CA_FILE`): lets tests run
   * HTTPS receivers with a self-signed certificate without turning verification off.
   */
  readonly extraCa?: readonly string[];
}

export interface FetchOptions {
  /** Default GET. POST sends `body`. */
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Refuse http: for the URL and every redirect target (webhooks). Default false. */
  readonly httpsOnly?: boolean;
  /** Overall limit for DNS, connect, every redirect and the body. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Default 10 MiB. */
  readonly maxBytes?: number;
  /** Redirects followed; 0 follows none. Default 3. */
  readonly maxRedirects?: number;
  /** Declared Content-Type must be one of these and the magic bytes must agree (checked on 2xx responses). */
  readonly accept?: readonly ImageMimeType[];
  /**
   * Default true: a non-2xx final response is `http_status` and a redirect beyond the limit is
   * `too_many_redirects`. False (webhooks): any complete response, 3xx included, is `ok: true`.
   */
  readonly requireOk?: boolean;
}

export interface FileFetchOptions extends FetchOptions {
  /**
   * Resumes a partial download: `path` already holds this many bytes, and the rest is asked for with
   * `Range: bytes=<n>-`. A 206 that continues at exactly that offset is appended; a 200 (a server that ignores
   * ranges) rewrites the file from the start; a 206 at another offset fails as `unreachable` and leaves the file
   * as it was. `maxBytes` counts the whole file. Default 0.
   */
  readonly resumeFrom?: number;
  /** Keep what was written when the body fails midway (to resume later) instead of removing the file. */
  readonly keepPartial?: boolean;
  /** Fail as `timeout` when no body bytes arrive for this long: a stalled transfer, within the overall deadline. */
  readonly stallTimeoutMs?: number;
  /** Called as the body arrives: bytes of the whole file so far, and its full size when the server declared it. */
  readonly onProgress?: (bytes: number, total: number | undefined) => void;
}

export interface BufferedFetchOptions extends FetchOptions {
  /** Return the first maxBytes with `truncated: true` instead of failing with too_large. Default false. */
  readonly truncate?: boolean;
}

export interface CheckUrlOptions {
  readonly httpsOnly?: boolean;
  /** Limit for the DNS lookup. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

const DEFAULTS = { timeoutMs: 10_000, maxBytes: 10 * 1024 * 1024, maxRedirects: 3 } as const;

// These describe the connection or the body and are set by the fetcher itself.
const CONTROLLED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'accept-encoding',
]);
// Credentials meant for the first origin must not follow a redirect elsewhere.
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

interface Limits {
  readonly httpsOnly: boolean;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxRedirects: number;
  readonly requireOk: boolean;
  readonly truncate: boolean;
  readonly accept: readonly ImageMimeType[] | undefined;
}

interface Settled {
  readonly limits: Limits;
  readonly request: HopRequest;
}

type OpenResponse =
  | { readonly ok: true; readonly response: IncomingMessage; readonly url: URL; readonly status: number }
  | FetchFailure;

/**
 * The only way the server makes outbound HTTP requests: every hop's host is resolved once, every
 * answer is held to the address policy, and the connection goes to a checked address only.
 */
export class SafeFetcher {
  readonly #policy: AddressPolicy;
  readonly #resolver: Resolver;
  readonly #userAgent: string;
  readonly #ca: string[] | undefined;

  /** Throws on an invalid allow-list entry. */
  constructor(options: SafeFetcherOptions = {}) {
    this.#policy = new AddressPolicy(options.allowCidrs ?? []);
    this.#resolver = options.resolver ?? systemResolver;
    this.#userAgent = options.userAgent ?? 'Lightbox-Fetcher/1';
    this.#ca = options.extraCa?.length ? [...rootCertificates, ...options.extraCa] : undefined;
  }

  /** Fetches into memory; the body never exceeds maxBytes. */
  async fetch(url: string | URL, options: BufferedFetchOptions = {}): Promise<FetchResult> {
    const settled = this.#settle(options);
    const deadline = new Deadline(settled.limits.timeoutMs);
    try {
      const opened = await this.#open(url, settled, deadline);
      if (!opened.ok) return opened;
      const { response, status } = opened;
      const read = await readBoundedBody(
        response,
        settled.limits.maxBytes,
        settled.limits.truncate,
        deadline,
      );
      if (!read.ok) return read;
      const expected = expectedType(settled, response);
      if (expected !== undefined && sniffImageType(read.body) !== expected) {
        return magicMismatch(expected, status);
      }
      return {
        ok: true,
        status,
        headers: response.headers,
        body: read.body,
        url: opened.url.href,
        truncated: read.truncated,
      };
    } finally {
      deadline.dispose();
    }
  }

  /**
   * Streams the body to `path` (created or overwritten, or appended to with `resumeFrom`) without buffering it:
   * for large imports and model downloads. Write to a temporary path and rename on success; on any failure the
   * partial file is removed (unless `keepPartial`). File-system errors are thrown rather than returned.
   */
  async fetchToFile(
    url: string | URL,
    path: string,
    options: FileFetchOptions = {},
  ): Promise<FileFetchResult> {
    const offset = nonNegativeInteger(options.resumeFrom ?? 0, 'resumeFrom');
    const settled = this.#settle(
      offset > 0 ? { ...options, headers: { ...options.headers, range: `bytes=${offset}-` } } : options,
    );
    const deadline = new Deadline(settled.limits.timeoutMs);
    let created = false;
    try {
      const opened = await this.#open(url, settled, deadline);
      if (!opened.ok) return opened;
      const { response, status } = opened;
      const continuation = offset > 0 && status === 206 ? rangeStart(response) : undefined;
      if (offset > 0 && status === 206 && continuation !== offset) {
        response.destroy();
        return fetchFailure('unreachable', 'the server answered a different range than the one asked for', {
          status,
          detail: `asked for bytes=${offset}-, got ${String(response.headers['content-range'])}`,
        });
      }
      const appended = continuation === offset ? offset : 0;
      const declared = declaredTotal(response, appended);
      if (declared !== undefined && declared > settled.limits.maxBytes) {
        response.destroy();
        return tooLarge(settled.limits.maxBytes, status);
      }
      created = true;
      const written = await writeBoundedBody(
        response,
        path,
        settled.limits.maxBytes,
        expectedType(settled, response),
        deadline,
        {
          offset: appended,
          total: declared,
          stallTimeoutMs: options.stallTimeoutMs,
          onProgress: options.onProgress,
        },
      );
      if (!written.ok) {
        if (options.keepPartial) created = false;
        return written;
      }
      created = false;
      return {
        ok: true,
        status,
        headers: response.headers,
        path,
        bytes: appended + written.bytes,
        resumed: appended > 0,
        url: opened.url.href,
      };
    } finally {
      deadline.dispose();
      if (created) await rm(path, { force: true });
    }
  }

  /**
   * Validates the URL and resolves and checks its host without sending a request (e.g.
   * `webhook_url` at create time). Passing is no promise for later: fetches check again.
   */
  async checkUrl(url: string | URL, options: CheckUrlOptions = {}): Promise<UrlCheckResult> {
    const accepted = acceptUrl(url, options.httpsOnly ?? false);
    if (!accepted.ok) return accepted;
    const deadline = new Deadline(positiveInteger(options.timeoutMs ?? DEFAULTS.timeoutMs, 'timeoutMs'));
    try {
      const checked = await resolveAndCheck(accepted, this.#context(deadline));
      if (!checked.ok) return checked;
      return { ok: true, url: accepted.url.href, addresses: checked.addresses.map(({ address }) => address) };
    } finally {
      deadline.dispose();
    }
  }

  /** Follows redirects up to the limit and applies the status, type and declared-size checks. */
  async #open(input: string | URL, settled: Settled, deadline: Deadline): Promise<OpenResponse> {
    const { limits } = settled;
    let target: AcceptedUrl | FetchFailure = acceptUrl(input, limits.httpsOnly);
    let request = settled.request;
    const context = this.#context(deadline);
    for (let redirects = 0; ; redirects++) {
      if (!target.ok) return target;
      const hop = await requestHop(target, request, context);
      if (!hop.ok) return hop;
      const { response } = hop;
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (REDIRECT_STATUSES.has(status) && location !== undefined) {
        if (redirects < limits.maxRedirects) {
          response.destroy();
          const next = acceptRedirect(location, target.url, limits.httpsOnly);
          if (next.ok) request = redirectedRequest(request, status, target.url, next.url);
          target = next;
          continue;
        }
        if (limits.requireOk) {
          response.destroy();
          return fetchFailure('too_many_redirects', `more than ${limits.maxRedirects} redirects`, { status });
        }
      }
      const refusal = screenResponse(response, status, limits);
      if (refusal) {
        response.destroy();
        return refusal;
      }
      return { ok: true, response, url: target.url, status };
    }
  }

  #context(deadline: Deadline): HopContext {
    return { resolver: this.#resolver, policy: this.#policy, deadline, ca: this.#ca };
  }

  #settle(options: BufferedFetchOptions): Settled {
    const method = options.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') throw new TypeError(`unsupported method ${String(method)}`);
    if (method === 'GET' && options.body !== undefined) {
      throw new TypeError('a GET request cannot have a body');
    }
    const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
    const headers: Record<string, string> = {
      'user-agent': this.#userAgent,
      'accept-encoding': 'identity',
      connection: 'close',
    };
    if (options.accept !== undefined) headers.accept = options.accept.join(', ');
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      const lower = name.toLowerCase();
      if (!CONTROLLED_HEADERS.has(lower)) headers[lower] = value;
    }
    if (body !== undefined) headers['content-length'] = String(body.byteLength);
    return {
      limits: {
        httpsOnly: options.httpsOnly ?? false,
        timeoutMs: positiveInteger(options.timeoutMs ?? DEFAULTS.timeoutMs, 'timeoutMs'),
        maxBytes: positiveInteger(options.maxBytes ?? DEFAULTS.maxBytes, 'maxBytes'),
        maxRedirects: nonNegativeInteger(options.maxRedirects ?? DEFAULTS.maxRedirects, 'maxRedirects'),
        requireOk: options.requireOk ?? true,
        accept: options.accept,
        truncate: options.truncate ?? false,
      },
      request: { method, headers, body },
    };
  }
}

/** Refusals decided from the status line and headers alone, before any of the body is read. */
function screenResponse(response: IncomingMessage, status: number, limits: Limits): FetchFailure | undefined {
  if (limits.requireOk && !isSuccessStatus(status)) {
    return fetchFailure('http_status', `URL returned ${status}`, { status });
  }
  if (limits.accept !== undefined && isSuccessStatus(status)) {
    const declared = declaredMimeType(response.headers['content-type']);
    if (!limits.accept.some((type) => type === declared)) {
      const shown = (declared ?? 'none').slice(0, 100);
      return fetchFailure('type_mismatch', `unsupported content type ${shown}`, { status });
    }
  }
  // A declared size over the limit fails at once; a smaller or missing one proves nothing.
  const declaredLength = response.headers['content-length'];
  if (!limits.truncate && declaredLength !== undefined && /^\d+$/.test(declaredLength)) {
    if (Number(declaredLength) > limits.maxBytes) return tooLarge(limits.maxBytes, status);
  }
  return undefined;
}

/** The type the magic bytes must prove, or undefined when no check applies. */
function expectedType(settled: Settled, response: IncomingMessage): ImageMimeType | undefined {
  const { accept } = settled.limits;
  if (accept === undefined || !isSuccessStatus(response.statusCode ?? 0)) return undefined;
  const declared = declaredMimeType(response.headers['content-type']);
  return accept.find((type) => type === declared);
}

/** The first byte of a 206 answer (`Content-Range: bytes <start>-<end>/<total>`), if it says. */
function rangeStart(response: IncomingMessage): number | undefined {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(String(response.headers['content-range'] ?? '').trim());
  return match ? Number(match[1]) : undefined;
}

/** The size of the whole file once this body is written after `offset` bytes, when the server declares it. */
function declaredTotal(response: IncomingMessage, offset: number): number | undefined {
  const range = /\/(\d+)$/.exec(String(response.headers['content-range'] ?? '').trim());
  if (offset > 0 && range) return Number(range[1]);
  const length = response.headers['content-length'];
  return length !== undefined && /^\d+$/.test(length) ? offset + Number(length) : undefined;
}

function redirectedRequest(request: HopRequest, status: number, from: URL, to: URL): HopRequest {
  // As browsers do: 303 always, and 301/302 after POST, continue as a GET without the body.
  const asGet = status === 303 || ((status === 301 || status === 302) && request.method === 'POST');
  const crossOrigin = from.origin !== to.origin;
  if (!asGet && !crossOrigin) return request;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (asGet && (name === 'content-length' || name === 'content-type')) continue;
    if (crossOrigin && CREDENTIAL_HEADERS.has(name)) continue;
    headers[name] = value;
  }
  return asGet ? { method: 'GET', headers, body: undefined } : { ...request, headers };
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer`);
  }
  return value;
}
