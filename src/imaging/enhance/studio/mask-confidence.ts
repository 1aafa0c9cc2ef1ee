import { deltaE, type LabImage } from './lab-image.ts';
import { CLEAR_EDGE_DELTA_E } from './soft-shadow.ts';

// Thresholds measured on the evaluation set (studio composites) and listed in ../README.md.
/** A backdrop noisier than this (median ΔE from its own model) is textured: no studio backdrop. */
export const MAX_BACKDROP_NOISE = 5;
/** Below this share of the outline with a clear edge, the cut-out is a guess: refused. */
export const MIN_CLEAR_EDGE_SHARE = 0.35;
/** Below this share the cut-out is kept with a `low_confidence_edges` warning. */
export const WARN_CLEAR_EDGE_SHARE = 0.6;
/** 4πA/P² below this: a ragged, stringy mask (texture or noise followed by the cut), not an object. */
export const MIN_COMPACTNESS = 0.03;
/** Inside and outside samples this far (px, working size) from the outline pixel. */
const REACH = 2;

export interface MaskConfidence {
  /** 0…1: the weakest of the signals below, each scaled so 1 is comfortably good and 0 is at refusal. */
  readonly score: number;
  /** Share of outline pixels with a clear edge (ΔE ≥ 14 between inside and outside). */
  readonly clearEdgeShare: number;
  /** Median ΔE across the outline. */
  readonly edgeContrast: number;
  /** The backdrop model's noise, ΔE. */
  readonly backdropNoise: number;
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
export function measureConfidence(lab: LabImage, mask: Uint8Array, backdropNoise: number): MaskConfidence {
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
  const compactness = perimeter > 0 ? Math.min(1, (4 * Math.PI * area) / (perimeter * perimeter)) : 0;
  const score = Math.max(
    0,
    Math.min(
      1,
      (clearEdgeShare - MIN_CLEAR_EDGE_SHARE) / (WARN_CLEAR_EDGE_SHARE - MIN_CLEAR_EDGE_SHARE),
      (MAX_BACKDROP_NOISE - backdropNoise) / (MAX_BACKDROP_NOISE / 2),
      (compactness - MIN_COMPACTNESS) / MIN_COMPACTNESS,
    ),
  );
  return {
    score,
    clearEdgeShare,
    edgeContrast,
    backdropNoise,
    compactness,
    refusal: refusal(clearEdgeShare, backdropNoise, compactness, area),
  };
}

const DIRECTIONS = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
] as const;

function refusal(clearEdgeShare: number, noise: number, compactness: number, area: number): string | null {
  const percent = (v: number): string => `${Math.round(v * 100)} %`;
  if (area === 0) return 'classical segmentation found no product that stands out from the backdrop';
  if (noise > MAX_BACKDROP_NOISE) {
    return (
      `classical segmentation needs a plain studio backdrop; this one is textured or busy ` +
      `(it varies by ${noise.toFixed(1)} ΔE around its smooth model, ${MAX_BACKDROP_NOISE} allowed)`
    );
  }
  if (clearEdgeShare < MIN_CLEAR_EDGE_SHARE) {
    return (
      `classical segmentation could not find the product's outline: only ${percent(clearEdgeShare)} of it ` +
      `stands out from the backdrop (${percent(MIN_CLEAR_EDGE_SHARE)} needed); the product is probably too ` +
      'close to the backdrop colour'
    );
  }
  if (compactness < MIN_COMPACTNESS) {
    return 'classical segmentation found only a ragged, scattered shape, not a product';
  }
  return null;
}
