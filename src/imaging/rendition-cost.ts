import { ANIMATED_FORMATS, type ImageFormat, type OutputFormat } from './image-format.ts';
import {
  minimalRendition,
  outputMsPerMp,
  planRendition,
  type RenditionParams,
  scaleRendition,
  withOriginal,
} from './rendition-operations.ts';
import { MAX_REQUESTED_DIMENSION } from './resize-plan.ts';

/**
 * What one rendition may cost, decided from the stored facts of its source (no pixel decoded): the estimated CPU
 * (decode + encode), the output pixels of one frame, and the pixels of all output frames of an animation.
 * Calibrated on this 2-vCPU machine (one libvips thread per pipeline, worst-case content: noise), see README.
 */
export interface RenditionBudget {
  /** Estimated single-core CPU milliseconds of one rendition. */
  readonly cpuMs: number;
  /** Pixels of one output frame (a `pad`/`cover` box counts its whole canvas), per output format. */
  readonly maxPixels: Readonly<Record<OutputFormat, number>>;
  /** Frames × pixels of an animated output (GIF/WebP of an animated source). */
  readonly maxAnimationPixels: number;
  /** Below this many pixels per frame a bounded rendition is refused rather than served as a smudge. */
  readonly minFramePixels: number;
  /**
   * `format=auto` picks AVIF only while its estimate stays under this (ms); above it, or for an animation, WebP.
   * AVIF is the costliest encoder: a browser that also takes WebP gets a fast answer instead of a slow one.
   */
  readonly negotiatedAvifCpuMs: number;
}

/**
 * ≈ 6 s of estimated CPU (the estimate is a worst case: real photos cost ½–⅓ of it), so no request gets near 10 s.
 * Pixel ceilings keep memory per pipeline well under 512 MB: AVIF (aom) holds ~28 bytes per output pixel, the
 * others ~5 (measured). 40 MP is a 7300×5500 still; 8 MP an AVIF of 3260×2450.
 */
export const DEFAULT_RENDITION_BUDGET: RenditionBudget = Object.freeze({
  cpuMs: 6000,
  maxPixels: Object.freeze({
    jpeg: 40_000_000,
    png: 40_000_000,
    webp: 40_000_000,
    gif: 40_000_000,
    avif: 8_000_000,
    svg: Number.POSITIVE_INFINITY,
  }),
  maxAnimationPixels: 32_000_000,
  minFramePixels: 16 * 16,
  // A 12 MP photo at up to ≈ 3.9 MP of output (2400×1600) by the worst-case estimate, which is ~5× what AVIF
  // effort 0 costs on photos (bench/encoder-curve.ts): ≈ 0.5 s at most in practice.
  negotiatedAvifCpuMs: 2500,
});

/** Decode cost per source megapixel (ms): libvips decoders vs the JavaScript ones (HEIC, BMP, ICO). */
const DECODE_MS_PER_MP: Readonly<Record<ImageFormat, number>> = {
  jpeg: 15,
  png: 20,
  webp: 25,
  gif: 15,
  avif: 60,
  heic: 100,
  bmp: 30,
  ico: 30,
  // Rasterizing: counted per output pixel (the SVG has no stored raster).
  svg: 30,
};

export interface CostSource {
  readonly format: ImageFormat;
  /** Display size of the original (what the rendition is planned against). */
  readonly width: number;
  readonly height: number;
  readonly frames: number;
}

export interface RenditionCost {
  readonly cpuMs: number;
  readonly width: number;
  readonly height: number;
  readonly frames: number;
}

export type BoundedRendition =
  /** Within budget as requested (`bounded` false), or scaled down to the largest size within it. */
  | {
      readonly ok: true;
      readonly params: RenditionParams;
      readonly bounded: boolean;
      readonly cost: RenditionCost;
    }
  /** Not even a minimal rendition is affordable (the decode alone is over budget). */
  | { readonly ok: false; readonly cost: RenditionCost };

/** Largest side each encoder accepts (WebP stops at 16383); as render.ts. */
const MAX_SIDE: Readonly<Record<OutputFormat, number>> = {
  jpeg: 65_535,
  png: 1_000_000,
  webp: 16_383,
  avif: 16_384,
  gif: 65_535,
  svg: MAX_REQUESTED_DIMENSION,
};

/** The estimated cost of rendering `params` from `source`, from geometry alone. */
export function renditionCost(source: CostSource, params: RenditionParams): RenditionCost {
  if (params.format === 'svg') return { cpuMs: 0, width: source.width, height: source.height, frames: 1 };
  const maxSide =
    source.format === 'svg'
      ? Math.min(MAX_SIDE[params.format], MAX_REQUESTED_DIMENSION)
      : MAX_SIDE[params.format];
  const plan = planRendition(source, params, maxSide);
  const frames = source.frames > 1 && ANIMATED_FORMATS.has(params.format) ? source.frames : 1;
  const outputMp = (plan.width * plan.height * frames) / 1e6;
  // An animated output decodes every frame; a still output decodes the first one only.
  const decodedMp =
    source.format === 'svg'
      ? (plan.width * plan.height) / 1e6
      : (source.width * source.height * frames) / 1e6;
  // Per output pixel: the encoder (format) and whatever else operations add.
  const cpuMs = decodedMp * DECODE_MS_PER_MP[source.format] + outputMp * outputMsPerMp(params);
  return { cpuMs, width: plan.width, height: plan.height, frames };
}

function withinBudget(cost: RenditionCost, format: OutputFormat, budget: RenditionBudget): boolean {
  const pixels = cost.width * cost.height;
  return (
    cost.cpuMs <= budget.cpuMs &&
    pixels <= budget.maxPixels[format] &&
    (cost.frames <= 1 || pixels * cost.frames <= budget.maxAnimationPixels)
  );
}

/**
 * Checks a rendition against the budget before any pixel is decoded. Over it, the rendition is scaled down
 * (aspect kept) to the largest size within the budget: a `w`/`h` box shrinks by one factor, presets and the
 * original become that factor of their own size. Refused only when even a minimal frame is over budget.
 */
export function boundRendition(
  source: CostSource,
  params: RenditionParams,
  budget: RenditionBudget = DEFAULT_RENDITION_BUDGET,
): BoundedRendition {
  return boundFixedFormat(source, affordableFormat(source, params, budget), budget);
}

/** A negotiated AVIF (`format=auto`) over its budget, or of an animation, becomes WebP. */
function affordableFormat(
  source: CostSource,
  params: RenditionParams,
  budget: RenditionBudget,
): RenditionParams {
  if (!params.negotiated || params.format !== 'avif') return params;
  const cost = renditionCost(source, params);
  const affordable =
    source.frames <= 1 && cost.cpuMs <= budget.negotiatedAvifCpuMs && withinBudget(cost, 'avif', budget);
  return affordable ? params : withOriginal({ ...params, format: 'webp' }, source.format);
}

function boundFixedFormat(
  source: CostSource,
  params: RenditionParams,
  budget: RenditionBudget,
): BoundedRendition {
  const cost = renditionCost(source, params);
  if (withinBudget(cost, params.format, budget)) return { ok: true, params, bounded: false, cost };
  const { format } = params;
  const framePixels = cost.width * cost.height;
  // The decode does not shrink with the output: what is left of the budget pays for the output pixels.
  const fixedMs = renditionCost(source, minimalRendition(params)).cpuMs;
  const perPixelMs =
    ((outputMsPerMp(params) + (source.format === 'svg' ? DECODE_MS_PER_MP.svg : 0)) * cost.frames) / 1e6;
  const allowed = Math.min(
    (budget.cpuMs - fixedMs) / perPixelMs,
    budget.maxPixels[format],
    cost.frames > 1 ? budget.maxAnimationPixels / cost.frames : Number.POSITIVE_INFINITY,
  );
  if (!(allowed >= budget.minFramePixels)) return { ok: false, cost };
  let factor = Math.sqrt(allowed / framePixels);
  // Rounding may land a pixel over: shrink a little until the plan is within budget.
  for (let attempt = 0; attempt < 20; attempt++) {
    const scaled: RenditionParams = { ...scaleRendition(params, cost, factor), original: false };
    const scaledCost = renditionCost(source, scaled);
    if (scaledCost.width * scaledCost.height < budget.minFramePixels) break;
    if (withinBudget(scaledCost, format, budget))
      return { ok: true, params: scaled, bounded: true, cost: scaledCost };
    factor *= 0.98;
  }
  return { ok: false, cost };
}
