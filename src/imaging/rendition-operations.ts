import type { Dimensions } from './header-dimensions.ts';
import { deliveryFormat, type ImageFormat, LOSSY_FORMATS, type OutputFormat } from './image-format.ts';
import {
  FITS,
  type Fit,
  MAX_REQUESTED_DIMENSION,
  planResize,
  type RenditionResize,
  type ResizePlan,
} from './resize-plan.ts';
import type { Sharp } from './sharp-lib.ts';

/**
 * The rendition operations: every parameter a `src` URL may carry, one entry each, with everything the imaging
 * module does with it (parse, cache key, raster and SVG pipelines, cost, pyramid levels). The parser
 * (`rendition-params.ts`), `render.ts`, `rendition-cost.ts` and `pyramid.ts` iterate `RENDITION_OPERATIONS` and
 * never name a parameter. Adding a parameter is one entry here (and its optional field in `RenditionParams`).
 */

/** One rendition, canonical: two requests that must produce the same bytes produce equal params. */
export interface RenditionParams {
  readonly format: OutputFormat;
  /** Null: the source's own dimensions. */
  readonly resize: RenditionResize | null;
  /** Only for lossy formats; null means the format's default. */
  readonly quality: number | null;
  /** No parameters and the source's delivery format: what the original's `src` URL serves. */
  readonly original: boolean;
  // A new operation adds an optional field (absent = neutral), so params of existing URLs stay equal.
}

/** What an operation reads from a delivery request. */
export interface RenditionRequest {
  /** The URL's extension, lower case, without the dot. */
  readonly ext: string;
  readonly source: ImageFormat;
  /** The first string value of a query parameter; undefined when absent or not a string. */
  readonly param: (name: string) => string | undefined;
}

/** A colour sharp takes for padding and flattening. */
export interface Rgba {
  readonly r: number;
  readonly g: number;
  readonly b: number;
  readonly alpha: number;
}

/** One sharp pipeline being built, handed to every operation in registry order (before flatten and encode). */
export interface PipelineStep {
  readonly image: Sharp;
  readonly params: RenditionParams;
  /** The output geometry (`planRendition`). On a rasterized SVG, librsvg already drew it at this size. */
  readonly plan: ResizePlan;
  /** Every frame goes through the pipeline (GIF/WebP output of an animation). */
  readonly animated: boolean;
  /** Padding: transparent where the output keeps the source's alpha, white otherwise. */
  readonly background: Rgba;
}

/** What operations tell the encoder (render.ts `encode`); unset = the format's default. */
export interface EncoderSettings {
  readonly quality?: number;
}

export interface RenditionOperation {
  readonly name: string;
  /** The query parameters it reads (`format` also reads the extension). */
  readonly query: readonly string[];
  /** Reads its parameters into `params`. Invalid values are ignored (left neutral), never an error. */
  readonly parse: (request: RenditionRequest, params: RenditionParams) => RenditionParams;
  /** After every parse, the output format known: drops what that format cannot use. */
  readonly normalize?: (params: RenditionParams) => RenditionParams;
  /**
   * True when it changes the pixels (its value is not neutral): the rendition is then not the original, and an
   * SVG is rasterized.
   */
  readonly transforms: (params: RenditionParams) => boolean;
  /**
   * Its part of the cache key, concatenated in registry order: `w800-h0-cover` + `-q80` + `.jpeg`. Must be `''`
   * when neutral (and otherwise start with `-`), or every cached rendition changes its key.
   */
  readonly key: (params: RenditionParams) => string;
  /** Steps on a decoded raster (after orientation, before flatten and encoding). */
  readonly raster?: (step: PipelineStep) => void;
  /** Steps on a rasterized SVG (already drawn at the planned size; before flatten and encoding). */
  readonly svg?: (step: PipelineStep) => void;
  readonly encoder?: (params: RenditionParams) => EncoderSettings;
  /** True when the output is opaque whatever the source (padded and flattened on white). */
  readonly opaque?: (params: RenditionParams) => boolean;
  /** The output geometry. One entry (resize) owns it; without it the output is the source's size. */
  readonly plan?: (source: Dimensions, params: RenditionParams, maxSide: number) => ResizePlan;
  /** Over the cost budget: the same rendition at `factor` of the size it was planned at (`planned`). */
  readonly scale?: (params: RenditionParams, planned: Dimensions, factor: number) => RenditionParams;
  /** The cheapest rendition of the same kind: what remains is the size-independent cost (the decode). */
  readonly minimal?: (params: RenditionParams) => RenditionParams;
  /** Estimated CPU it adds per output megapixel (ms, worst case; `rendition-cost.ts`). */
  readonly msPerOutputMp?: (params: RenditionParams) => number;
  /** False when the rendition must be computed from the original, not from a pyramid level (`pyramid.ts`). */
  readonly keepsPyramid: (params: RenditionParams) => boolean;
}

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
    const crop = params.resize?.kind === 'box' && params.resize.fit === 'crop';
    image.resize(plan.width, plan.height, {
      fit: plan.fit,
      // Attention needs the whole scaled image and is not supported on animations: centre there.
      position: crop && !animated ? 'attention' : 'centre',
      background,
    });
  },
  // SVG: librsvg draws the planned geometry itself (svg-source.ts), nothing to resize afterwards.
  opaque: ({ resize }) => resize?.kind === 'preset' && resize.size === 'social',
  plan: (source, params, maxSide) => planResize(source, params.resize, maxSide),
  scale: (params, planned, factor) => ({ ...params, resize: scaledResize(params.resize, planned, factor) }),
  minimal: (params) => ({ ...params, resize: { kind: 'box', width: 1, height: 1, fit: 'scale-down' } }),
  // Levels are planned like the original; a rendition at the original's size gains nothing from one.
  keepsPyramid: ({ resize }) => resize !== null,
};

/** `q=1…100`, lossy outputs only. */
const quality: RenditionOperation = {
  name: 'quality',
  query: ['q'],
  parse: (request, params) => ({ ...params, quality: parseIntegerIn(request.param('q'), 1, 100) }),
  normalize: (params) => (LOSSY_FORMATS.has(params.format) ? params : { ...params, quality: null }),
  transforms: (params) => params.quality !== null,
  key: ({ quality }) => (quality === null ? '' : `-q${quality}`),
  encoder: ({ quality }) => (quality === null ? {} : { quality }),
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

/** Encode cost per output megapixel (ms), worst case measured (noise; flat canvases cost less). */
const ENCODE_MS_PER_MP: Readonly<Record<OutputFormat, number>> = {
  jpeg: 50,
  png: 60,
  webp: 120,
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
    const requested = formatNamed((request.param('format') ?? '').toLowerCase());
    return { ...params, format: requested ?? extFormat ?? deliveryFormat(source) };
  },
  // Not a pixel change: a format other than the delivery format is told apart by `original` itself.
  transforms: () => false,
  key: (params) => `.${params.format}`,
  msPerOutputMp: (params) => ENCODE_MS_PER_MP[params.format],
  // Levels are lossy JPEG: lossless outputs (PNG, GIF) read the original.
  keepsPyramid: (params) => LOSSY_FORMATS.has(params.format),
};

/** In this order: parse, key parts, pipeline steps, encoder settings. `format` stays last (key extension). */
export const RENDITION_OPERATIONS: readonly RenditionOperation[] = [resize, quality, format];

/** Params before any operation has read the request: the original, in the source's delivery format. */
export function neutralParams(source: ImageFormat): RenditionParams {
  return { format: deliveryFormat(source), resize: null, quality: null, original: false };
}

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
