import { AUTO_QUALITY_PROBES } from './auto-quality.ts';
import { cropPosition, gravity } from './crop-gravity.ts';
import { negotiateFormat } from './format-negotiation.ts';
import type { Dimensions } from './header-dimensions.ts';
import { deliveryFormat, type ImageFormat, LOSSY_FORMATS, type OutputFormat } from './image-format.ts';
import { kernelFor } from './lossy-output.ts';
import { background, backgroundColour, blur, dpr } from './rendition-effects.ts';
import type {
  EncoderSettings,
  RenditionOperation,
  RenditionParams,
  RenditionRequest,
  Rgba,
} from './rendition-types.ts';
import {
  FITS,
  type Fit,
  MAX_REQUESTED_DIMENSION,
  planResize,
  type RenditionResize,
  type ResizePlan,
  SRCSET_WIDTHS,
} from './resize-plan.ts';

export type {
  EncoderSettings,
  PipelineStep,
  RenditionOperation,
  RenditionParams,
  RenditionRequest,
  Rgba,
} from './rendition-types.ts';

/**
 * The rendition operations: every parameter a `src` URL may carry, one entry each, with everything the imaging
 * module does with it (parse, cache key, raster and SVG pipelines, cost, pyramid levels). The parser
 * (`rendition-params.ts`), `render.ts`, `rendition-cost.ts` and `pyramid.ts` iterate `RENDITION_OPERATIONS` and
 * never name a parameter. Adding a parameter is one entry (here or in a file of its own, such as
 * `rendition-effects.ts`) and its optional field in `RenditionParams` (`rendition-types.ts`).
 */

/** `size=s|m|l|social`, else a `w`/`h` box with a `fit`. `size` wins. */
const resize: RenditionOperation = {
  name: 'resize',
  query: ['size', 'w', 'h', 'fit'],
  parse: (request, params) => ({ ...params, resize: parseResize(request) }),
  transforms: (params) => params.resize !== null,
  key: ({ resize }) => {
    if (resize === null) return 'full';
    if (resize.kind === 'preset') return resize.size;
    return `w${resize.width ?? 0}-h${resize.height ?? 0}-${resize.fit}`;
  },
  raster: ({ image, params, plan, animated, background }) => {
    if (!plan.resized && plan.fit === 'fill') return;
    image.resize(plan.width, plan.height, {
      fit: plan.fit,
      // The kernel the output's encoder does best with (lossy-output.ts).
      kernel: kernelFor(params.format),
      // Where a cover crop keeps the image: the gravity entry's (crop-gravity.ts).
      position: cropPosition(params, animated),
      background,
    });
  },
  // SVG: librsvg draws the planned geometry itself (svg-source.ts), nothing to resize afterwards.
  // The social card is always opaque, so a lossless format would only make it heavy (a PNG card of a photo is
  // ~1.5 MB): asked for as PNG or GIF, it is a JPEG.
  normalize: (params) =>
    isSocial(params) && (params.format === 'png' || params.format === 'gif')
      ? { ...params, format: 'jpeg' }
      : params,
  opaque: isSocial,
  plan: (source, params, maxSide) => planResize(source, params.resize, maxSide),
  scale: (params, planned, factor) => ({ ...params, resize: scaledResize(params.resize, planned, factor) }),
  minimal: (params) => ({ ...params, resize: { kind: 'box', width: 1, height: 1, fit: 'scale-down' } }),
  // Levels are planned like the original; a rendition at the original's size gains nothing from one.
  keepsPyramid: ({ resize }) => resize !== null,
  // Presets, and the widths of the media object's `srcset` (a few per image, like presets).
  free: ({ resize }) =>
    resize === null ||
    resize.kind === 'preset' ||
    (resize.fit === 'scale-down' &&
      resize.height === null &&
      resize.width !== null &&
      SRCSET_WIDTHS.includes(resize.width)),
};

function isSocial({ resize }: RenditionParams): boolean {
  return resize?.kind === 'preset' && resize.size === 'social';
}

/** Decoding one `q=auto` candidate and comparing it with the reference (ssim.js block SSIM), per megapixel. */
const AUTO_QUALITY_COMPARE_MS_PER_MP = 80;

/**
 * `q=1…100`, lossy outputs only. `q=auto`: the smallest output whose similarity to the rendition's own pixels stays
 * above a target (auto-quality.ts) — a search over a few encodes, priced as such.
 */
const quality: RenditionOperation = {
  name: 'quality',
  query: ['q'],
  parse: (request, params) => ({
    ...params,
    quality:
      request.param('q')?.trim().toLowerCase() === 'auto'
        ? 'auto'
        : parseIntegerIn(request.param('q'), 1, 100),
  }),
  normalize: (params) => (LOSSY_FORMATS.has(params.format) ? params : { ...params, quality: null }),
  transforms: (params) => params.quality !== null,
  key: ({ quality }) => (quality === null ? '' : `-q${quality}`),
  encoder: ({ quality }) => (quality === null ? {} : { quality }),
  msPerOutputMp: (params) =>
    params.quality === 'auto'
      ? AUTO_QUALITY_PROBES * (ENCODE_MS_PER_MP[params.format] + AUTO_QUALITY_COMPARE_MS_PER_MP)
      : 0,
  keepsPyramid: () => true,
};

const FORMAT_NAMES: Readonly<Record<string, OutputFormat>> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  gif: 'gif',
};

/** Own keys only: `format=constructor` is an invalid value, not `Object.prototype.constructor`. */
function formatNamed(name: string): OutputFormat | undefined {
  return Object.hasOwn(FORMAT_NAMES, name) ? FORMAT_NAMES[name] : undefined;
}

/**
 * Encode cost per output megapixel (ms), worst case measured (noise; flat canvases cost less). JPEG: progressive
 * with optimised tables; the careful coding of page-sized outputs (lossy-output.ts) adds up to ≈ 2 s at worst on
 * noise, bounded by its own size and quality caps rather than counted here, so budgets of real photos do not shrink.
 * WebP effort 4 on noise: 166 ms/MP at q50, 189 at q82, 236 at q100 (the entry was 120).
 */
const ENCODE_MS_PER_MP: Readonly<Record<OutputFormat, number>> = {
  jpeg: 70,
  png: 60,
  webp: 240,
  gif: 110,
  avif: 600,
  svg: 0,
};

/**
 * The output format: `format=` wins over the extension; an extension that is not an output format (`.svg` of a
 * raster, `.bmp`) means the source's delivery format. The encoder itself is render.ts's `encode`. Last in the
 * registry: its key part is the extension.
 */
const format: RenditionOperation = {
  name: 'format',
  query: ['format'],
  parse: (request, params) => {
    const { ext, source } = request;
    const extFormat = ext === 'svg' && source === 'svg' ? 'svg' : formatNamed(ext);
    const name = (request.param('format') ?? '').trim().toLowerCase();
    const requested = formatNamed(name);
    // `format=auto` wins over the extension; `.auto` applies when `format=` names no format.
    if (name === 'auto' || (requested === undefined && ext === 'auto')) {
      const format = negotiateFormat(request.accept, source, transformsPixels(params));
      return { ...params, format, negotiated: true };
    }
    return { ...params, format: requested ?? extFormat ?? deliveryFormat(source) };
  },
  // Not a pixel change: a format other than the delivery format is told apart by `original` itself.
  transforms: () => false,
  key: (params) => `.${params.format}`,
  msPerOutputMp: (params) => ENCODE_MS_PER_MP[params.format],
  // Levels are lossy JPEG: lossless outputs (PNG, GIF) read the original.
  keepsPyramid: (params) => LOSSY_FORMATS.has(params.format),
};

/**
 * In this order: parse, key parts, pipeline steps, encoder settings. `dpr` and `gravity` read what `resize` parsed;
 * `format` stays last (key extension) and sees whether the others transform. Key parts of the entries after
 * `resize` are appended in this order: `w800-h600-cover-gnorth-blur5-q80.webp`.
 */
export const RENDITION_OPERATIONS: readonly RenditionOperation[] = [
  resize,
  dpr,
  gravity,
  blur,
  background,
  quality,
  format,
];

/** Params before any operation has read the request: the original, in the source's delivery format. */
export function neutralParams(source: ImageFormat): RenditionParams {
  return { format: deliveryFormat(source), resize: null, quality: null, original: false };
}

/** Sets `original`: no operation transforms and the format is the source's delivery format. */
export function withOriginal(params: RenditionParams, source: ImageFormat): RenditionParams {
  return { ...params, original: !transformsPixels(params) && params.format === deliveryFormat(source) };
}

/**
 * True when anybody may ask for it without counting against the uncached-rendition limits or a transform
 * signature: the original, presets, `srcset` widths and format changes.
 */
export function isFreeRendition(params: RenditionParams): boolean {
  return RENDITION_OPERATIONS.every((operation) =>
    operation.free ? operation.free(params) : !operation.transforms(params),
  );
}

/** The `s`/`m`/`l` preset in the same (possibly negotiated) format: what an unsigned transform gets instead. */
export function presetRendition(params: RenditionParams, size: 's' | 'm' | 'l'): RenditionParams {
  const preset = {
    format: params.format,
    resize: { kind: 'preset', size },
    quality: null,
    original: false,
  } as const;
  return params.negotiated ? { ...preset, negotiated: true } : preset;
}

/** Padding colour: `bg`, else transparent where the output keeps the source's alpha (`keepAlpha`), else white. */
export function paddingColour(params: RenditionParams, keepAlpha: boolean): Rgba {
  const colour = backgroundColour(params);
  if (colour) return keepAlpha ? colour : { ...colour, alpha: 1 };
  return keepAlpha ? TRANSPARENT : WHITE;
}

/** What transparent pixels are flattened on when the output cannot keep them: `bg` (opaque), else white. */
export function flattenColour(params: RenditionParams): Rgba {
  const colour = backgroundColour(params);
  return colour ? { ...colour, alpha: 1 } : WHITE;
}

const WHITE: Rgba = { r: 255, g: 255, b: 255, alpha: 1 };
const TRANSPARENT: Rgba = { r: 255, g: 255, b: 255, alpha: 0 };

/** True when some operation changes the pixels. */
export function transformsPixels(params: RenditionParams): boolean {
  return RENDITION_OPERATIONS.some((operation) => operation.transforms(params));
}

/** The output geometry of `params` for a source of this (display) size; `maxSide` is the format's limit. */
export function planRendition(source: Dimensions, params: RenditionParams, maxSide: number): ResizePlan {
  const owner = RENDITION_OPERATIONS.find((operation) => operation.plan !== undefined);
  return owner?.plan ? owner.plan(source, params, maxSide) : planResize(source, null, maxSide);
}

export function isOpaqueRendition(params: RenditionParams): boolean {
  return RENDITION_OPERATIONS.some((operation) => operation.opaque?.(params) === true);
}

export function encoderSettings(params: RenditionParams): EncoderSettings {
  let settings: EncoderSettings = {};
  for (const operation of RENDITION_OPERATIONS) settings = { ...settings, ...operation.encoder?.(params) };
  return settings;
}

export function outputMsPerMp(params: RenditionParams): number {
  let ms = 0;
  for (const operation of RENDITION_OPERATIONS) ms += operation.msPerOutputMp?.(params) ?? 0;
  return ms;
}

export function scaleRendition(
  params: RenditionParams,
  planned: Dimensions,
  factor: number,
): RenditionParams {
  let scaled = params;
  for (const operation of RENDITION_OPERATIONS) scaled = operation.scale?.(scaled, planned, factor) ?? scaled;
  return scaled;
}

export function minimalRendition(params: RenditionParams): RenditionParams {
  let minimal = params;
  for (const operation of RENDITION_OPERATIONS) minimal = operation.minimal?.(minimal) ?? minimal;
  return minimal;
}

export function keepsPyramid(params: RenditionParams): boolean {
  return RENDITION_OPERATIONS.every((operation) => operation.keepsPyramid(params));
}

function parseResize(request: RenditionRequest): RenditionResize | null {
  const size = request.param('size')?.toLowerCase();
  if (size === 's' || size === 'm' || size === 'l' || size === 'social') return { kind: 'preset', size };
  const width = parseDimension(request.param('w'));
  const height = parseDimension(request.param('h'));
  if (width === null && height === null) return null;
  const requested = request.param('fit')?.toLowerCase();
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

/** `resize` scaled to `factor` of the output it plans (`planned`). */
function scaledResize(resize: RenditionResize | null, planned: Dimensions, factor: number): RenditionResize {
  const shrink = (side: number) => Math.max(1, Math.floor(side * factor));
  if (resize?.kind === 'box' && resize.width !== null && resize.height !== null) {
    // A box keeps its fit: pad and cover still fill the (smaller) box, contain/scale-down still fit in it.
    return { kind: 'box', width: shrink(resize.width), height: shrink(resize.height), fit: resize.fit };
  }
  if (resize?.kind === 'preset' && resize.size === 'social') {
    return { kind: 'box', width: shrink(planned.width), height: shrink(planned.height), fit: 'pad' };
  }
  // One side, a preset or the whole image: the same image, `factor` of the size it would have had.
  return { kind: 'box', width: shrink(planned.width), height: null, fit: 'contain' };
}
