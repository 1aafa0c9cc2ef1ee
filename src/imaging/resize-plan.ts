import type { Dimensions } from './header-dimensions.ts';

// The geometry vocabulary of renditions lives here, below the operation registry that parses it
// (rendition-operations.ts), so that the registry can plan with it without an import cycle.

/** Short side of the `s`, `m` and `l` renditions (never enlarged). */
export const SIZE_PRESETS = { s: 320, m: 640, l: 1080 } as const;
/**
 * Widths of the media object's `srcset` (`w=<width>`, never above the image's own width): common layout widths at
 * 1× and 2×. Requests for them are free like presets (a handful per image).
 */
export const SRCSET_WIDTHS: readonly number[] = [320, 640, 960, 1280, 1920, 2560];
/** The Open Graph card: the whole image, centred on white. */
const SOCIAL_SIZE = { width: 1200, height: 630 } as const;
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

/** The geometry of one rendition, decided before any pixel is touched. */
export interface ResizePlan extends Dimensions {
  /** Factor applied to the source before cropping (`cover`) or padding (`contain`). */
  readonly scale: number;
  /** `fill`: the output is the scaled source; `cover`: cropped to the box; `contain`: padded to it. */
  readonly fit: 'fill' | 'cover' | 'contain';
  /** False when the output is the source as it is (no resize step needed). */
  readonly resized: boolean;
}

/**
 * Output dimensions for a rendition of a source of the given (display-oriented) size. `maxSide` is what
 * the output format can hold (WebP stops at 16383): bigger outputs are scaled down to fit.
 * Fits follow the usual image-CDN meaning: scale-down keeps the aspect inside the box and never enlarges;
 * contain may enlarge; cover/crop fill the box and crop; pad contains and pads to the exact box.
 */
export function planResize(source: Dimensions, resize: RenditionResize | null, maxSide: number): ResizePlan {
  const { width, height } = source;
  if (resize === null) return fill(source, 1, maxSide);
  if (resize.kind === 'preset') {
    if (resize.size === 'social') {
      const scale = Math.min(SOCIAL_SIZE.width / width, SOCIAL_SIZE.height / height);
      return { ...SOCIAL_SIZE, scale, fit: 'contain', resized: true };
    }
    const shortSide = Math.min(width, height);
    const target = SIZE_PRESETS[resize.size];
    return fill(source, shortSide > target ? target / shortSide : 1, maxSide);
  }
  const { fit } = resize;
  if (resize.width === null || resize.height === null) {
    const scale = resize.width !== null ? resize.width / width : (resize.height ?? height) / height;
    return fill(source, fit === 'scale-down' ? Math.min(scale, 1) : scale, maxSide);
  }
  const box = { width: resize.width, height: resize.height };
  const inside = Math.min(box.width / width, box.height / height);
  if (fit === 'scale-down') return fill(source, Math.min(inside, 1), maxSide);
  if (fit === 'contain') return fill(source, inside, maxSide);
  if (fit === 'pad') return { ...box, scale: inside, fit: 'contain', resized: true };
  return { ...box, scale: Math.max(box.width / width, box.height / height), fit: 'cover', resized: true };
}

function fill(source: Dimensions, requested: number, maxSide: number): ResizePlan {
  const longest = Math.max(source.width, source.height);
  let scale = requested;
  // Enlarging is bounded like a requested size; shrinking never needs a bound.
  if (scale > 1) scale = Math.max(1, Math.min(scale, MAX_REQUESTED_DIMENSION / longest));
  if (longest * scale > maxSide) scale = maxSide / longest;
  const width = Math.max(1, Math.round(source.width * scale));
  const height = Math.max(1, Math.round(source.height * scale));
  return { width, height, scale, fit: 'fill', resized: width !== source.width || height !== source.height };
}
