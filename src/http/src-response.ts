import type { Readable } from 'node:stream';
import type { RenditionService } from '../delivery/renditions.ts';

const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

export interface SrcRequest {
  method: string;
  token: string;
  file: string;
  /** The raw query string (after `?`), parsed the same way on every path. */
  search: string;
  ifNoneMatch: string | undefined;
}

export interface SrcResponse {
  status: 200 | 304 | 404;
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

/** The raw query string of a request URL (after `?`), as both paths hand it to `answerSrc`. */
export function searchOf(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at + 1);
}

/**
 * The answer to `GET|HEAD <SRC_BASE>/{token}/{id}.{ext}` (API.md §2.6), independent of the HTTP framework: the
 * Fastify route and the raw fast path (src-fast-path.ts) both write exactly this.
 */
export async function answerSrc(renditions: RenditionService, request: SrcRequest): Promise<SrcResponse> {
  const rendition = await renditions.resolve(
    request.token,
    request.file,
    new URLSearchParams(request.search),
  );
  if (!rendition) return NOT_FOUND;
  // The ETag is known from the key: a revalidation needs no image byte, not even a computed rendition.
  const fresh =
    request.ifNoneMatch?.split(',').some((tag) => {
      const trimmed = tag.trim();
      return trimmed === rendition.etag || trimmed === '*';
    }) ?? false;
  const loaded = fresh ? null : await renditions.load(rendition, { head: request.method === 'HEAD' });
  if (!fresh && !loaded) return NOT_FOUND;
  const headers: Record<string, string> = {
    'cache-control': 'public, max-age=31536000, immutable',
    etag: rendition.etag,
    'x-content-type-options': 'nosniff',
    'content-type': rendition.contentType,
  };
  if (rendition.svg) headers['content-security-policy'] = SVG_CSP;
  if (!loaded) return { status: 304, headers, body: null };
  headers['content-length'] = String(loaded.size);
  return { status: 200, headers, body: loaded.body };
}
