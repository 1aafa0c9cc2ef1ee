import type { BackgroundModel } from './background-model.ts';
import { deltaE, type LabImage } from './lab-image.ts';

// Thresholds measured on the evaluation set (studio composites) and listed in ../README.md.
/**
 * ΔE between the inside and the outside of the outline (3 px apart) from which it is a clear edge: a
 * cream product on a grey sweep (ΔE ≈ 14) is clear, a white one on a white sweep (ΔE ≈ 3–6) is not.
 */
const CLEAR_EDGE_DELTA_E = 10;
/** Below this share of the border frame that fits the backdrop model, the photo has no studio backdrop. */
const MIN_FRAME_BACKDROP = 0.5;
/** A backdrop noisier than this (median ΔE from its own model) is textured: no studio backdrop. */
const MAX_BACKDROP_NOISE = 5;
/** Below this share of the outline with a clear edge, the cut-out is a guess: refused. */
export const MIN_CLEAR_EDGE_SHARE = 0.65;
/** Below this share the cut-out is kept with a `low_confidence_edges` warning. */
export const WARN_CLEAR_EDGE_SHARE = 0.85;
/** A typical (median) contrast across the outline below this, ΔE, also gets the warning. */
export const WARN_EDGE_CONTRAST = 20;
/** 4πA/P² below this: a ragged, stringy mask (texture or noise followed by the cut), not an object. */
const MIN_COMPACTNESS = 0.03;
/**
 * Below this overlap (IoU) between the cut and what differs from the backdrop model around it, GrabCut
 * kept or dropped large parts on colour alone: typically the shaded rim of a white product on a white sweep,
 * or the label and highlights of a black bottle on black.
 */
const MIN_MODEL_AGREEMENT = 0.5;
/**
 * Below this solidity (area over convex-hull area, object by object) the mask is a rim or a ring, not a product:
 * the shaded edges of a light box whose faces the fill took for backdrop (0.37 on the held-out grey carton),
 * where the least solid real product, a goblet on a thin stem, has 0.58.
 */
const MIN_SOLIDITY = 0.45;
/** Inside and outside samples this far (px, working size) from the outline pixel. */
const REACH = 2;

export interface MaskConfidence {
  /** 0…1: the weakest of the signals below, each scaled so 1 is comfortably good and 0 is at refusal. */
  readonly score: number;
  /** Share of outline pixels with a clear edge (ΔE ≥ 10 between inside and outside). */
  readonly clearEdgeShare: number;
  /** Median ΔE across the outline. */
  readonly edgeContrast: number;
  /** The backdrop model's noise, ΔE. */
  readonly backdropNoise: number;
  /** IoU of the cut with the pixels that differ from the backdrop model in the regions it touches. */
  readonly agreement: number;
  /** Area over convex-hull area, object by object (mask-solidity.ts). */
  readonly solidity: number;
  /** 4πA/P² of the mask (1 for a disc). */
  readonly compactness: number;
  /** Why the mask is refused, for API users; null when it is usable. */
  readonly refusal: string | null;
}

/**
 * How far a mask can be trusted, from what can be measured on the photo: the contrast across its outline,
 * the share of the outline that is a clear edge, how well the backdrop model fits, and how compact the
 * mask is. Outline pixels on the photo's edge are skipped (a product cut by the frame has no edge there).
 */
export function measureConfidence(
  lab: LabImage,
  mask: Uint8Array,
  model: BackgroundModel,
  candidate: Uint8Array,
  solidity: number,
): MaskConfidence {
  const backdropNoise = model.noise;
  const { width, height } = lab;
  const contrasts: number[] = [];
  let area = 0;
  let perimeter = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (!mask[p]) continue;
      area++;
      let best = -1;
      let outlined = false;
      for (const [dx, dy] of DIRECTIONS) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height || mask[ny * width + nx]) continue;
        outlined = true;
        perimeter++;
        const ix = x - dx * (REACH - 1);
        const iy = y - dy * (REACH - 1);
        const ox = x + dx * REACH;
        const oy = y + dy * REACH;
        if (ix < 0 || iy < 0 || ix >= width || iy >= height) continue;
        if (ox < 0 || oy < 0 || ox >= width || oy >= height) continue;
        best = Math.max(best, deltaE(lab, iy * width + ix, oy * width + ox));
      }
      if (outlined && best >= 0) contrasts.push(best);
    }
  }
  const clear = contrasts.filter((c) => c >= CLEAR_EDGE_DELTA_E).length;
  const clearEdgeShare = contrasts.length > 0 ? clear / contrasts.length : 0;
  const edgeContrast = contrasts.length > 0 ? contrasts.sort((a, b) => a - b)[contrasts.length >> 1]! : 0;
  const agreement = modelAgreement(mask, candidate, width, height);
  const compactness = perimeter > 0 ? Math.min(1, (4 * Math.PI * area) / (perimeter * perimeter)) : 0;
  const score = Math.max(
    0,
    Math.min(
      1,
      (clearEdgeShare - MIN_CLEAR_EDGE_SHARE) / (WARN_CLEAR_EDGE_SHARE - MIN_CLEAR_EDGE_SHARE),
      (MAX_BACKDROP_NOISE - backdropNoise) / (MAX_BACKDROP_NOISE / 2),
      (compactness - MIN_COMPACTNESS) / MIN_COMPACTNESS,
      (agreement - MIN_MODEL_AGREEMENT) / (1 - MIN_MODEL_AGREEMENT),
      (solidity - MIN_SOLIDITY) / (1 - MIN_SOLIDITY),
    ),
  );
  return {
    score,
    clearEdgeShare,
    edgeContrast,
    backdropNoise,
    agreement,
    solidity,
    compactness,
    refusal: backdropRefusal(model) ?? maskRefusal(clearEdgeShare, compactness, agreement, solidity, area),
  };
}

const DIRECTIONS = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
] as const;

const percent = (v: number): string => `${Math.round(v * 100)} %`;

/** Why the photo has no backdrop the classical path can model (before any mask is made), or null. */
export function backdropRefusal(model: BackgroundModel): string | null {
  if (model.noise > MAX_BACKDROP_NOISE) {
    return (
      'classical segmentation needs a plain studio backdrop; this one is textured or busy ' +
      `(it varies by ${model.noise.toFixed(1)} ΔE around its smooth model, ${MAX_BACKDROP_NOISE} allowed); ` +
      'a segmentation model handles such scenes'
    );
  }
  if (model.frameInliers < MIN_FRAME_BACKDROP) {
    return (
      'classical segmentation needs a studio backdrop around the product; only ' +
      `${percent(model.frameInliers)} of the photo's border is backdrop (${percent(MIN_FRAME_BACKDROP)} needed); ` +
      'a segmentation model handles cluttered scenes'
    );
  }
  return null;
}

function maskRefusal(
  clearEdgeShare: number,
  compactness: number,
  agreement: number,
  solidity: number,
  area: number,
): string | null {
  if (area === 0) return 'classical segmentation found no product that stands out from the backdrop';
  if (clearEdgeShare < MIN_CLEAR_EDGE_SHARE) {
    return (
      `classical segmentation could not find the product's outline: only ${percent(clearEdgeShare)} of it ` +
      `stands out from the backdrop (${percent(MIN_CLEAR_EDGE_SHARE)} needed); the product is probably too ` +
      'close to the backdrop colour'
    );
  }
  if (agreement < MIN_MODEL_AGREEMENT) {
    return (
      'classical segmentation could not settle the product: the cut-out and the parts of the photo that differ ' +
      `from the backdrop overlap by only ${percent(agreement)} (${percent(MIN_MODEL_AGREEMENT)} needed); the product ` +
      'is probably too close to the backdrop colour'
    );
  }
  if (solidity < MIN_SOLIDITY) {
    return (
      `classical segmentation found only a thin or hollow shape (it fills ${percent(solidity)} of its outline's ` +
      `convex hull, ${percent(MIN_SOLIDITY)} needed): probably the shaded rim of a product too close to the backdrop colour`
    );
  }
  if (compactness < MIN_COMPACTNESS) {
    return 'classical segmentation found only a ragged, scattered shape, not a product';
  }
  return null;
}

/**
 * IoU of `mask` with the `candidate` pixels (different from the backdrop model, shadows excluded) in the
 * 8-connected candidate regions the mask touches: far-off specks do not count against it.
 */
function modelAgreement(mask: Uint8Array, candidate: Uint8Array, width: number, height: number): number {
  const n = width * height;
  const kept = new Uint8Array(n);
  const stack = new Int32Array(n);
  for (let start = 0; start < n; start++) {
    if (!mask[start] || !candidate[start] || kept[start]) continue;
    let top = 0;
    stack[top++] = start;
    kept[start] = 1;
    while (top > 0) {
      const p = stack[--top]!;
      const x = p % width;
      const y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const q = ny * width + nx;
          if (candidate[q] && !kept[q]) {
            kept[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
  }
  let both = 0;
  let either = 0;
  for (let p = 0; p < n; p++) {
    if (mask[p] && kept[p]) both++;
    if (mask[p] || kept[p]) either++;
  }
  return either === 0 ? 0 : both / either;
}
