import type { RenditionOptions } from './types.ts';

const SIZES = new Set(['s', 'm', 'l', 'social']);
const FITS = new Set(['scale-down', 'contain', 'cover', 'crop', 'pad']);
const FORMATS = new Set(['jpg', 'jpeg', 'png', 'webp', 'avif', 'gif']);
/** The server clamps larger requests to this side. */
const MAX_SIDE = 8192;

const positiveInt = (name: string, value: number, max: number) => {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer from 1 to ${max}`);
  }
  return String(value);
};

/**
 * The `src` URL of a rendition (docs/api.md §2.6). The server ignores invalid parameters so an `<img>` always
 * loads; here they are refused, since a caller building a URL wants to know. `format` becomes the extension.
 * Parameters already on `src` are kept unless overridden.
 */
export function renditionUrl(src: string | { src: string }, options: RenditionOptions = {}): string {
  const url = new URL(typeof src === 'string' ? src : src.src);
  const { size, w, h, fit, q, format } = options;
  if (size !== undefined) {
    if (!SIZES.has(size)) throw new RangeError('size must be s, m, l or social');
    url.searchParams.set('size', size);
  }
  if (w !== undefined) url.searchParams.set('w', positiveInt('w', w, MAX_SIDE));
  if (h !== undefined) url.searchParams.set('h', positiveInt('h', h, MAX_SIDE));
  if (fit !== undefined) {
    if (!FITS.has(fit)) throw new RangeError(`fit must be one of ${[...FITS].join(', ')}`);
    url.searchParams.set('fit', fit);
  }
  if (q !== undefined) url.searchParams.set('q', positiveInt('q', q, 100));
  if (format !== undefined) {
    if (!FORMATS.has(format)) throw new RangeError(`format must be one of ${[...FORMATS].join(', ')}`);
    url.searchParams.delete('format');
    url.pathname = url.pathname.replace(/\.[A-Za-z0-9]+$/, `.${format}`);
  }
  return url.toString();
}
