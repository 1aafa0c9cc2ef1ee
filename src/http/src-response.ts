import type { Readable } from 'node:stream';
import type { RenditionService } from '../delivery/renditions.ts';
import { catalog } from '../errors/catalog.ts';
import { cidrContains, parseCidr, parseIp } from '../fetcher/ip-address.ts';

const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

export interface SrcRequest {
  method: string;
  token: string;
  file: string;
  /** The raw query string (after `?`), parsed the same way on every path. */
  search: string;
  ifNoneMatch: string | undefined;
  /** The `Accept` header: `format=auto` (`.auto`) chooses the output format from it. */
  accept: string | undefined;
  /** The client IP (as Fastify's `request.ip`): uncached renditions are rate-limited per client. */
  ip: string;
}

export interface SrcResponse {
  status: 200 | 304 | 404 | 422 | 429;
  headers: Record<string, string>;
  body: Buffer | Readable | string | null;
}

const NOT_FOUND_BODY = 'Not found';
const NOT_FOUND: SrcResponse = {
  status: 404,
  headers: {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': String(Buffer.byteLength(NOT_FOUND_BODY)),
  },
  body: NOT_FOUND_BODY,
};

/** Short, plain-text answers of `src` (the route family of <img> tags, not of API clients). */
function plain(status: 422 | 429, message: string, extra: Record<string, string> = {}): SrcResponse {
  return {
    status,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-length': String(Buffer.byteLength(message)),
      ...extra,
    },
    body: message,
  };
}

const REFUSED_BODY = 'Rendition too costly: request a smaller size or a still format';

/** A stand-in (another size than asked, because of a limit) may change once the limit passes: cached briefly. */
const SUBSTITUTE_CACHE = 'public, max-age=60';

/** LIGHTBOX_TRUSTED_PROXIES as a predicate; IPv4-mapped IPv6 addresses match IPv4 ranges (as proxy-addr). */
export function trustedAddresses(proxies: readonly string[]): (address: string) => boolean {
  const ranges = proxies.map(parseCidr);
  if (ranges.length === 0) return () => false;
  return (address) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const ip = parseIp(address);
    const v4 = mapped ? parseIp(mapped) : undefined;
    return ranges.some(
      (range) => (ip && cidrContains(range, ip)) || (v4 !== undefined && cidrContains(range, v4)),
    );
  };
}

/** The client IP behind trusted proxies, as Fastify's `request.ip` (proxy-addr) computes it. */
export function clientIp(
  remote: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: (address: string) => boolean,
): string {
  let address = remote ?? '';
  if (!forwardedFor || !trusted(address)) return address;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    address = hops[i] as string;
    if (!trusted(address)) return address;
  }
  return address;
}

/** The raw query string of a request URL (after `?`), as both paths hand it to `answerSrc`. */
export function searchOf(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at + 1);
}

/**
 * The answer to `GET|HEAD <SRC_BASE>/{token}/{id}.{ext}` (docs/api.md §2.6), independent of the HTTP framework: the
 * Fastify route and the raw fast path (src-fast-path.ts) both write exactly this.
 */
export async function answerSrc(renditions: RenditionService, request: SrcRequest): Promise<SrcResponse> {
  const rendition = await renditions.resolve(request.token, request.file, request.search, request.accept);
  if (!rendition) return NOT_FOUND;
  // `validation_error` (422): a property of the request, not of the server; never retried as it is.
  if (rendition.refused) return plain(catalog.validation_error.status as 422, REFUSED_BODY);
  // The ETag is known from the key: a revalidation needs no image byte, not even a computed rendition.
  const fresh =
    request.ifNoneMatch?.split(',').some((tag) => {
      const trimmed = tag.trim();
      return trimmed === rendition.etag || trimmed === '*';
    }) ?? false;
  const loaded = fresh
    ? null
    : await renditions.load(rendition, { head: request.method === 'HEAD', ip: request.ip });
  if (!fresh && !loaded) return NOT_FOUND;
  if (loaded && 'limited' in loaded) {
    return plain(catalog.rate_limited.status as 429, catalog.rate_limited.message, {
      'retry-after': String(loaded.retryAfter),
    });
  }
  const instead = loaded?.instead;
  const substitute = instead?.reason ?? rendition.substitute;
  const headers: Record<string, string> = {
    'cache-control': substitute ? SUBSTITUTE_CACHE : 'public, max-age=31536000, immutable',
    etag: instead?.etag ?? rendition.etag,
    'x-content-type-options': 'nosniff',
    'content-type': instead?.contentType ?? rendition.contentType,
  };
  if (substitute) headers['x-rendition-substitute'] = substitute;
  // A negotiated format (format=auto): caches keep one answer per Accept, 304s included.
  if (rendition.vary) headers.vary = 'Accept';
  if (rendition.svg && !instead) headers['content-security-policy'] = SVG_CSP;
  if (!loaded) return { status: 304, headers, body: null };
  headers['content-length'] = String(loaded.size);
  return { status: 200, headers, body: loaded.body };
}
