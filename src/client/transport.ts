import {
  type ApiFamily,
  errorFromResponse,
  type LightboxApiError,
  LightboxError,
  LightboxNetworkError,
} from './errors.ts';

export interface TransportOptions {
  /** The server's public URL, e.g. `https://img.example.com`. */
  baseUrl: string;
  apiKey?: string | undefined;
  /** Retries after the first attempt (default 2; 0 turns retrying off). */
  maxRetries?: number;
  /** A wait longer than this (a `Retry-After` of 12 minutes, say) is not waited out: the error is thrown. */
  maxRetryWaitMs?: number;
  /** Per attempt; 0 means none. Default 120 s. */
  timeoutMs?: number;
  /** Sent as `User-Agent`. */
  userAgent?: string;
  /** Another `fetch` (a test double, a proxy agent, an in-process server). */
  fetch?: typeof fetch;
}

/** `safe`: the request can be sent twice without doing the work twice (reads, deletes, PATCH, keyed creates). */
type Replay = 'safe' | 'unsafe';

export interface ApiRequest {
  family: ApiFamily;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  /** Made afresh for each attempt (a stream body cannot be sent twice). */
  body?: () => { body: BodyInit; headers: Record<string, string> };
  headers?: Record<string, string>;
  /** `none`: the key is not sent (public routes); `optional`: sent when the client has one. */
  auth: 'required' | 'optional' | 'none';
  replay: Replay;
  signal?: AbortSignal | undefined;
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * Codes worth another attempt (docs/errors.md marks them retryable). Requests that may have done their work before
 * failing (an upload answered 500) are only retried on the codes that are decided before any work: see `UNSAFE_OK`.
 */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'rate_limited',
  'rate_limit_exceeded',
  'too_many_active_enhancements',
  'rate_limit_unavailable',
  'queue_unavailable',
  'unexpected',
  'server_error',
  'fetch_failed',
  'update_failed',
  'delete_failed',
]);

/** Answered before the request did anything, so even an upload may be sent again. */
const UNSAFE_OK: ReadonlySet<string> = new Set([
  'rate_limited',
  'rate_limit_exceeded',
  'rate_limit_unavailable',
  'queue_unavailable',
  'fetch_failed',
]);

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8_000;

export class Transport {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  private readonly maxRetries: number;
  private readonly maxRetryWaitMs: number;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly fetchImpl: typeof fetch;

  constructor(options: TransportOptions) {
    if (!/^https?:\/\//.test(options.baseUrl)) throw new TypeError('baseUrl must be an http(s) URL');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.maxRetries = options.maxRetries ?? 2;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.userAgent = options.userAgent ?? 'lightbox-client';
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /** Sends the request, retrying what may be retried; resolves with the parsed 2xx body, else throws. */
  async send<T>(request: ApiRequest): Promise<ApiResponse<T>> {
    for (let attempt = 0; ; attempt++) {
      let error: LightboxApiError | LightboxNetworkError;
      try {
        const response = await this.attempt(request);
        const text = await response.text();
        if (response.ok)
          return { status: response.status, headers: response.headers, body: parseOk<T>(text) };
        error = errorFromResponse(request.family, response, text);
      } catch (caught) {
        if (!(caught instanceof LightboxNetworkError)) throw caught;
        error = caught;
      }
      const wait = attempt < this.maxRetries ? this.retryWait(request, error, attempt) : null;
      if (wait === null || wait > this.maxRetryWaitMs) throw error;
      await sleep(wait, request.signal);
    }
  }

  private async attempt(request: ApiRequest): Promise<Response> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
      ...request.headers,
    };
    if (request.auth !== 'none' && this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (request.auth === 'required' && !this.apiKey) {
      throw new TypeError(`${request.method} ${request.path} needs an API key: pass apiKey to the client`);
    }
    let body: BodyInit | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.body) {
      const made = request.body();
      Object.assign(headers, made.headers);
      body = made.body;
    }
    const signals = [request.signal, this.timeoutMs > 0 ? AbortSignal.timeout(this.timeoutMs) : undefined];
    const signal = AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
    const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers, signal };
    if (body !== undefined) {
      init.body = body;
      if (body instanceof ReadableStream) init.duplex = 'half';
    }
    try {
      return await this.fetchImpl(this.url(request), init);
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason ?? error;
      throw toNetworkError(error, this.baseUrl);
    }
  }

  private url(request: ApiRequest): string {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined && value !== '') query.set(name, String(value));
    }
    const qs = query.toString();
    return `${this.baseUrl}${request.path}${qs ? `?${qs}` : ''}`;
  }

  /** Milliseconds to wait before the next attempt, or null when this failure is final. */
  private retryWait(request: ApiRequest, error: LightboxApiError | LightboxNetworkError, attempt: number) {
    const backoff = () => Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
    if (error instanceof LightboxNetworkError) {
      // Refused connections never reached the server; anything else may have done the work.
      return request.replay === 'safe' || error.reason === 'unreachable' ? backoff() : null;
    }
    const knownCode = RETRYABLE_CODES.has(error.code);
    const bareServerError = /^http_5\d\d$/.test(error.code) || error.code === 'http_429';
    const allowed =
      request.replay === 'safe'
        ? knownCode || bareServerError
        : UNSAFE_OK.has(error.code) || error.status === 429;
    if (!allowed) return null;
    // The server's own wait, exactly: GCRA admits the next request once it has passed.
    return error.retry_after !== null ? error.retry_after * 1000 : backoff();
  }
}

function parseOk<T>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new LightboxError(
      'The server answered with something other than JSON: is the URL a Lightbox server?',
    );
  }
}

function toNetworkError(error: unknown, baseUrl: string): LightboxNetworkError {
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError') {
    return new LightboxNetworkError(`${baseUrl} did not answer in time`, 'timeout', { cause: error });
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? '';
  const unreachable = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(
    code,
  );
  return new LightboxNetworkError(
    `cannot reach ${baseUrl}: ${cause?.message ?? (error as Error).message}`,
    unreachable ? 'unreachable' : 'broken',
    { cause: error },
  );
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}
