import { segmentClassically } from '../flood-fill-segmentation.ts';
import type { RgbImage } from '../pixel-buffers.ts';
import { ProviderError } from '../provider-error.ts';
import { type EnhanceWarning, warning } from '../warnings.ts';
import { type BackgroundModel, fitBackgroundModel } from './background-model.ts';
import { fillHoles, grabCutRefine } from './grabcut-refine.ts';
import { guidedFilter } from './guided-filter.ts';
import { edgeStrength, type LabImage, rgbToLab } from './lab-image.ts';
import {
  backdropRefusal,
  type MaskConfidence,
  measureConfidence,
  WARN_CLEAR_EDGE_SHARE,
  WARN_EDGE_CONTRAST,
} from './mask-confidence.ts';
import { maskSolidity } from './mask-solidity.ts';
import type { OpenCv } from './opencv.ts';
import { findSoftShadows } from './soft-shadow.ts';
import { buildTrimap, foregroundThreshold } from './trimap.ts';

/** Working size (longer side) for the model, GrabCut and the confidence: 512 px gave no better masks. */
const WORKING_SIZE = 384;
const MIN_FOREGROUND = 0.005;
const MAX_FOREGROUND = 0.95;
/** Shadow pixels (share of the image) inside a flood-fill mask that send it to the full path. */
const FAST_PATH_MAX_SHADOW = 0.002;
/** A removed shadow this large (share of the image) is worth telling the client. */
const SHADOW_WARNING_SHARE = 0.003;
/** Guided filter: eps in luminance² (edges with less variance than ≈ 0.03² are smoothed over). */
const GUIDED_EPS = 1e-3;

export interface StudioSegmentation {
  readonly mask: Uint8Array;
  readonly warnings: EnhanceWarning[];
  /** `flood`: the fast path (uniform border, no shadow); `studio`: model + GrabCut + guided filter. */
  readonly path: 'flood' | 'studio';
  readonly confidence: MaskConfidence;
}

/**
 * The classical segmenter (runs in a worker thread: ≈ 0.3–1 s of CPU). Fast path: a uniform border is
 * flood-filled (segmentClassically); its mask is kept when it has no soft shadow in it and passes the
 * confidence check. Otherwise: backdrop model (gradients, vignettes, mottled) → soft shadows → trimap →
 * GrabCut at 384 px → holes filled → confidence (refusal below the thresholds) → guided filter at full
 * resolution. Throws `ProviderError` with the reason when the result cannot be trusted.
 */
export async function segmentStudioPhoto(cv: OpenCv, image: RgbImage): Promise<StudioSegmentation> {
  const small = downscale(cv, image);
  const lab = rgbToLab(small.data, small.width, small.height);
  const model = fitBackgroundModel(lab);
  const unusable = backdropRefusal(model);
  if (unusable) throw new ProviderError(unusable);
  const edges = edgeStrength(lab);
  const threshold = foregroundThreshold(model.noise);
  const shadows = findSoftShadows(lab, model, edges, threshold);

  const candidate = new Uint8Array(lab.l.length);
  for (let p = 0; p < candidate.length; p++) {
    if (model.distance[p]! > threshold && !shadows.shadow[p]) candidate[p] = 1;
  }
  const fast = await floodFillPath(cv, image, small, lab, model, shadows.shadow, candidate);
  if (fast) return fast;

  const trimap = buildTrimap(model, shadows.shadow);
  const cut = fillHoles(
    grabCutRefine(cv, small.data, small.width, small.height, trimap),
    small.width,
    small.height,
  );
  const area = countOnes(cut) / cut.length;
  if (area < MIN_FOREGROUND) {
    throw new ProviderError(
      'classical segmentation found no product that stands out from the backdrop ' +
        '(the product may be too close to the backdrop colour)',
    );
  }
  if (area > MAX_FOREGROUND) {
    throw new ProviderError(
      'classical segmentation could not separate the product: it covers almost the whole photo',
    );
  }
  const confidence = measureConfidence(
    lab,
    cut,
    model,
    candidate,
    maskSolidity(cv, cut, small.width, small.height),
  );
  if (confidence.refusal) throw new ProviderError(confidence.refusal);

  const warnings = confidenceWarnings(confidence);
  let removed = 0;
  for (let p = 0; p < cut.length; p++) if (shadows.shadow[p] && !cut[p]) removed++;
  if (removed / cut.length >= SHADOW_WARNING_SHARE) warnings.push(warning('shadow_removed'));
  return { mask: refineAtFullResolution(cv, image, cut, small), warnings, path: 'studio', confidence };
}

async function floodFillPath(
  cv: OpenCv,
  image: RgbImage,
  small: RgbImage,
  lab: LabImage,
  model: BackgroundModel,
  shadow: Uint8Array,
  candidate: Uint8Array,
): Promise<StudioSegmentation | null> {
  let flood: Awaited<ReturnType<typeof segmentClassically>>;
  try {
    flood = await segmentClassically(image);
  } catch (error) {
    if (error instanceof ProviderError) return null;
    throw error;
  }
  const coarse = resizePlane(cv, flood.mask.data, image.width, image.height, small.width, small.height);
  const mask = new Uint8Array(coarse.length);
  let shadowInside = 0;
  for (let p = 0; p < mask.length; p++) {
    if (coarse[p]! >= 128) {
      mask[p] = 1;
      if (shadow[p]) shadowInside++;
    }
  }
  if (shadowInside / mask.length > FAST_PATH_MAX_SHADOW) return null;
  const confidence = measureConfidence(
    lab,
    mask,
    model,
    candidate,
    maskSolidity(cv, mask, small.width, small.height),
  );
  if (confidence.refusal) return null;
  // The flood fill's own low-contrast warning says the same as the confidence's: keep one.
  const warnings = [
    ...flood.warnings.filter((w) => w.code !== 'low_confidence_edges'),
    ...confidenceWarnings(confidence),
  ];
  return { mask: flood.mask.data, warnings, path: 'flood', confidence };
}

function confidenceWarnings(confidence: MaskConfidence): EnhanceWarning[] {
  const { clearEdgeShare, edgeContrast } = confidence;
  if (clearEdgeShare >= WARN_CLEAR_EDGE_SHARE && edgeContrast >= WARN_EDGE_CONTRAST) return [];
  const detail =
    clearEdgeShare < WARN_CLEAR_EDGE_SHARE
      ? `only ${Math.round(clearEdgeShare * 100)} % of its outline stands out clearly from the backdrop`
      : `its outline differs from the backdrop by only ${Math.round(edgeContrast)} ΔE (typical)`;
  return [
    warning(
      'low_confidence_edges',
      `The product is close to the backdrop in colour (${detail}); parts of its edge may be imprecise ` +
        '(a segmentation model handles this better).',
    ),
  ];
}

function downscale(cv: OpenCv, image: RgbImage): RgbImage {
  const scale = Math.min(1, WORKING_SIZE / Math.max(image.width, image.height));
  if (scale === 1) return image;
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const src = cv.matFromArray(image.height, image.width, cv.CV_8UC3, image.data);
  const dst = new cv.Mat();
  try {
    cv.resize(src, dst, new cv.Size(width, height), 0, 0, cv.INTER_AREA);
    return { width, height, data: Buffer.from(dst.data) };
  } finally {
    src.delete();
    dst.delete();
  }
}

function resizePlane(
  cv: OpenCv,
  plane: Uint8Array | Float32Array,
  width: number,
  height: number,
  toWidth: number,
  toHeight: number,
): Uint8Array {
  const src = cv.matFromArray(height, width, plane instanceof Float32Array ? cv.CV_32FC1 : cv.CV_8UC1, plane);
  const dst = new cv.Mat();
  try {
    cv.resize(
      src,
      dst,
      new cv.Size(toWidth, toHeight),
      0,
      0,
      toWidth < width ? cv.INTER_AREA : cv.INTER_LINEAR,
    );
    return Uint8Array.from(dst.data);
  } finally {
    src.delete();
    dst.delete();
  }
}

/**
 * The working-size cut, upsampled, follows the photo's own edges through a guided filter on luminance
 * (radius ≈ 1.5 working pixels), then the filter's soft ramp is steepened ×2 around 0.5: about a pixel or
 * two of soft edge at full size, on the real outline rather than the 384 px staircase.
 */
function refineAtFullResolution(cv: OpenCv, image: RgbImage, cut: Uint8Array, small: RgbImage): Uint8Array {
  const { width, height, data } = image;
  const n = width * height;
  if (small === image) return Uint8Array.from(cut, (v) => v * 255);
  const coarse = resizePlane(
    cv,
    Uint8Array.from(cut, (v) => v * 255),
    small.width,
    small.height,
    width,
    height,
  );
  const input = Float32Array.from(coarse, (v) => v / 255);
  const guide = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    guide[p] = (0.2126 * data[p * 3]! + 0.7152 * data[p * 3 + 1]! + 0.0722 * data[p * 3 + 2]!) / 255;
  }
  const radius = Math.max(2, Math.round((1.5 * width) / small.width));
  const refined = guidedFilter(guide, input, width, height, radius, GUIDED_EPS);
  const mask = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const a = (refined[p]! - 0.5) * 2 + 0.5;
    mask[p] = a <= 0 ? 0 : a >= 1 ? 255 : Math.round(a * 255);
  }
  return mask;
}

function countOnes(mask: Uint8Array): number {
  let count = 0;
  for (const v of mask) count += v;
  return count;
}
