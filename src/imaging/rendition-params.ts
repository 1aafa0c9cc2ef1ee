import { deliveryFormat, type ImageFormat, LOSSY_FORMATS, type OutputFormat } from './image-format.ts';

/** Short side of the `s`, `m` and `l` renditions (never enlarged). */
export const SIZE_PRESETS = { s: 320, m: 640, l: 1080 } as const;
/** The Open Graph card: the whole image, centred on white. */
export const SOCIAL_SIZE = { width: 1200, height: 630 } as const;
/** Requested `w`/`h` above this are clamped to it: big enough for any screen, small enough to compute. */
export const MAX_REQUESTED_DIMENSION = 8192;

export const FITS = ['scale-down', 'contain', 'cover', 'crop', 'pad'] as const;
export type Fit = (typeof FITS)[number];
export type SizePreset = keyof typeof SIZE_PRESETS | 'social';

export type RenditionResize =
  | { readonly kind: 'preset'; readonly size: SizePreset }
  | {
      readonly kind: 'box';
      readonly width: number | null;
      readonly height: number | null;
      readonly fit: Fit;
    };

/** One rendition, canonical: two requests that must produce the same bytes produce equal params. */
export interface RenditionParams {
  readonly format: OutputFormat;
  /** Null: the source's own dimensions. */
  readonly resize: RenditionResize | null;
  /** Only for lossy formats; null means the format's default. */
  readonly quality: number | null;
  /** No parameters and the source's delivery format: what the original's `src` URL serves. */
  readonly original: boolean;
}

/** A parsed query string as the HTTP layer has it (URLSearchParams, or a plain object with string values). */
export type QueryInput = URLSearchParams | Readonly<Record<string, unknown>>;

const FORMAT_NAMES: Readonly<Record<string, OutputFormat>> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  gif: 'gif',
};

/**
 * Reads `size`, `w`, `h`, `fit`, `q` and `format` from a delivery request. Anything invalid is ignored,
 * never an error, so an <img> always loads. `size` wins over `w`/`h`/`fit`; `format` wins over the
 * extension; an extension that is not an output format (`.svg` of a raster, `.bmp`) means the source's
 * delivery format. Parameters on an SVG without a raster format give PNG.
 */
export function parseRenditionParams(request: {
  readonly ext: string;
  readonly query: QueryInput;
  readonly source: ImageFormat;
}): RenditionParams {
  const { query, source } = request;
  const resize = parseResize(query);
  const ext = request.ext.replace(/^\./, '').toLowerCase();
  const extFormat = ext === 'svg' && source === 'svg' ? 'svg' : FORMAT_NAMES[ext];
  let format =
    FORMAT_NAMES[(first(query, 'format') ?? '').toLowerCase()] ?? extFormat ?? deliveryFormat(source);
  const requestedQuality = parseIntegerIn(first(query, 'q'), 1, 100);
  if (format === 'svg' && (resize || requestedQuality !== null)) format = 'png';
  const quality = LOSSY_FORMATS.has(format) ? requestedQuality : null;
  const original = resize === null && quality === null && format === deliveryFormat(source);
  return { format, resize, quality, original };
}

function parseResize(query: QueryInput): RenditionResize | null {
  const size = first(query, 'size')?.toLowerCase();
  if (size === 's' || size === 'm' || size === 'l' || size === 'social') return { kind: 'preset', size };
  const width = parseDimension(first(query, 'w'));
  const height = parseDimension(first(query, 'h'));
  if (width === null && height === null) return null;
  const requested = first(query, 'fit')?.toLowerCase();
  let fit: Fit = FITS.find((name) => name === requested) ?? 'scale-down';
  // With one side given there is no box to cover, crop or pad: all of them just scale to that side.
  if ((width === null || height === null) && fit !== 'scale-down') fit = 'contain';
  return { kind: 'box', width, height, fit };
}

function parseDimension(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,9}$/.test(value.trim())) return null;
  const number = Number(value.trim());
  return number >= 1 ? Math.min(number, MAX_REQUESTED_DIMENSION) : null;
}

function parseIntegerIn(value: string | undefined, min: number, max: number): number | null {
  if (value === undefined || !/^\d{1,3}$/.test(value.trim())) return null;
  const number = Number(value.trim());
  return number >= min && number <= max ? number : null;
}

function first(query: QueryInput, name: string): string | undefined {
  const value = query instanceof URLSearchParams ? query.get(name) : query[name];
  const single = Array.isArray(value) ? value[0] : value;
  return typeof single === 'string' ? single : undefined;
}

/**
 * A stable, file-name-safe cache key: `original.png`, `full.webp`, `m.webp`, `social.jpeg`,
 * `w800-h0-cover-q80.jpeg` (0 = not given). Keys are per media item; the caller prefixes the media id.
 */
export function renditionKey(params: RenditionParams): string {
  if (params.original) return `original.${params.format}`;
  const { resize, quality, format } = params;
  let key = 'full';
  if (resize?.kind === 'preset') key = resize.size;
  else if (resize?.kind === 'box') key = `w${resize.width ?? 0}-h${resize.height ?? 0}-${resize.fit}`;
  if (quality !== null) key += `-q${quality}`;
  return `${key}.${format}`;
}
