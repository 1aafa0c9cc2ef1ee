import type { ImageFormat, OutputFormat } from './image-format.ts';

/**
 * `format=auto` (or the `.auto` extension): the output format chosen from the request's `Accept` header, in this
 * order — AVIF (smallest), WebP, then what every browser shows: PNG for the lossless and transparent kinds of
 * source (PNG, GIF, BMP, ICO, SVG, WebP), JPEG for photos (JPEG, HEIC, AVIF). GIF sources fall back to GIF (the
 * animation survives), and an unparameterised SVG stays the sanitized SVG (vector beats any raster). Whether AVIF
 * is affordable is decided later by the cost budget (rendition-cost.ts): too costly or animated, it becomes WebP.
 */
export function negotiateFormat(accept: string, source: ImageFormat, transforms: boolean): OutputFormat {
  if (source === 'svg' && !transforms) return 'svg';
  const accepted = acceptedImageTypes(accept);
  if (accepted.has('image/avif')) return 'avif';
  if (accepted.has('image/webp')) return 'webp';
  return FALLBACK[source];
}

const FALLBACK: Readonly<Record<ImageFormat, OutputFormat>> = {
  jpeg: 'jpeg',
  heic: 'jpeg',
  avif: 'jpeg',
  png: 'png',
  webp: 'png',
  bmp: 'png',
  ico: 'png',
  svg: 'png',
  gif: 'gif',
};

/** Media types the header names with a quality above 0 (`image/webp;q=0` refuses WebP). Wildcards do not count. */
function acceptedImageTypes(accept: string): Set<string> {
  const types = new Set<string>();
  // Bounded: a header is at most a few KB (Node's limit), and only the first 64 entries are read.
  for (const entry of accept.split(',', 64)) {
    const [type = '', ...parameters] = entry.split(';');
    const quality = parameters
      .map((parameter) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(parameter)?.[1])
      .find((value) => value !== undefined);
    if (quality !== undefined && !(Number(quality) > 0)) continue;
    types.add(type.trim().toLowerCase());
  }
  return types;
}
