import type { ImageFormat } from './image-format.ts';
import {
  neutralParams,
  RENDITION_OPERATIONS,
  type RenditionParams,
  type RenditionRequest,
  transformsPixels,
  withOriginal,
} from './rendition-operations.ts';

export type { RenditionParams } from './rendition-operations.ts';

/** Every query parameter a `src` URL may carry, in registry order (the dashboard's rendition builder sends these). */
export const RENDITION_QUERY_NAMES: readonly string[] = RENDITION_OPERATIONS.flatMap((o) => o.query);

/** A parsed query string as the HTTP layer has it (URLSearchParams, or a plain object with string values). */
export type QueryInput = URLSearchParams | Readonly<Record<string, unknown>>;

/**
 * Reads every rendition operation's parameters (`rendition-operations.ts`: `size`, `w`, `h`, `fit`, `dpr`,
 * `gravity`, `blur`, `bg`, `q`, `format`) from a delivery request. Anything invalid is ignored, never an error, so
 * an <img> always loads. Parameters on an SVG without a raster format give PNG. `accept` (the request's `Accept`
 * header) is read by `format=auto` only.
 */
export function parseRenditionParams(request: {
  readonly ext: string;
  readonly query: QueryInput;
  readonly source: ImageFormat;
  readonly accept?: string;
}): RenditionParams {
  const { query, source } = request;
  const read: RenditionRequest = {
    ext: request.ext.replace(/^\./, '').toLowerCase(),
    source,
    param: (name) => first(query, name),
    accept: request.accept ?? '',
  };
  let params = neutralParams(source);
  for (const operation of RENDITION_OPERATIONS) params = operation.parse(read, params);
  // SVG output is only ever the sanitized original: a parameterised SVG is rasterized.
  if (params.format === 'svg' && transformsPixels(params)) params = { ...params, format: 'png' };
  for (const operation of RENDITION_OPERATIONS) params = operation.normalize?.(params) ?? params;
  return withOriginal(params, source);
}

function first(query: QueryInput, name: string): string | undefined {
  const value = query instanceof URLSearchParams ? query.get(name) : query[name];
  const single = Array.isArray(value) ? value[0] : value;
  return typeof single === 'string' ? single : undefined;
}

/**
 * A stable, file-name-safe cache key: `original.png`, `full.webp`, `m.webp`, `social.jpeg`,
 * `w800-h0-cover-q80.jpeg` (0 = not given): each operation's key part, in registry order. Keys are per media
 * item; the caller prefixes the media id.
 */
export function renditionKey(params: RenditionParams): string {
  if (params.original) return `original.${params.format}`;
  return RENDITION_OPERATIONS.map((operation) => operation.key(params)).join('');
}
