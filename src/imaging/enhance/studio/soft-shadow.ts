import type { BackgroundModel } from './background-model.ts';
import type { LabImage } from './lab-image.ts';

/**
 * Inside a shadow lightness changes slowly (a soft shadow's gradient is ≈ 2 ΔE per 2 px at the working
 * size); a step of this much (or 4 noise levels) is an object's edge and separates regions.
 */
const SHADOW_EDGE_DELTA_E = 6;
const SHADOW_EDGE_NOISE_FACTOR = 4;
/** A shadow keeps at least this share of the backdrop's lightness: deeper is a dark object, not a shadow. */
const MIN_SHADOW_LIGHTNESS = 0.35;
/** Chroma may drift by this much (ΔE in a*b*) plus a share of the darkening: shadows mute colour a little. */
const CHROMA_SLACK = 4;
const CHROMA_PER_DARKENING = 0.25;
/** A shadow's boundary with the backdrop is soft: at least this share of it has no clear edge. */
const MIN_SOFT_BOUNDARY = 0.3;
/**
 * A shadow fades: at most this share of it is within 80 % of its deepest darkening. A flat grey object
 * (that touches its own shadow without a clear edge between them) is nearly all plateau.
 */
const MAX_PLATEAU = 0.7;
/** Smaller regions are specks, not worth a warning or a decision. */
const MIN_SHADOW_SHARE = 0.001;

export interface SoftShadows {
  /** 1 where a pixel belongs to a soft cast shadow. */
  readonly shadow: Uint8Array;
  /** Share of the image that is shadow. */
  readonly share: number;
}

/**
 * Soft cast shadows: connected regions darker than the backdrop model by more than `threshold`, of the
 * same chroma, whose boundary with the backdrop is mostly soft. Edges (≥ 6 ΔE across 2 px) cut the
 * regions apart, so a grey product is its own region (a hard outline all round) and the shadow beside it
 * another (hard only where it meets the product).
 */
export function findSoftShadows(
  lab: LabImage,
  model: BackgroundModel,
  edges: Float32Array,
  threshold: number,
): SoftShadows {
  const { width, height } = lab;
  const n = width * height;
  const { expected } = model;
  const barrier = Math.max(SHADOW_EDGE_DELTA_E, SHADOW_EDGE_NOISE_FACTOR * model.noise);
  const candidate = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    if (edges[p]! >= barrier) continue;
    const darkening = expected.l[p]! - lab.l[p]!;
    if (darkening <= threshold || lab.l[p]! < expected.l[p]! * MIN_SHADOW_LIGHTNESS) continue;
    const chroma = Math.hypot(lab.a[p]! - expected.a[p]!, lab.b[p]! - expected.b[p]!);
    if (chroma <= CHROMA_SLACK + CHROMA_PER_DARKENING * darkening) candidate[p] = 1;
  }
  const shadow = new Uint8Array(n);
  const seen = new Uint8Array(n);
  const stack = new Int32Array(n);
  const region: number[] = [];
  let total = 0;
  for (let start = 0; start < n; start++) {
    if (!candidate[start] || seen[start]) continue;
    region.length = 0;
    let soft = 0;
    let hard = 0;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const p = stack[--top]!;
      region.push(p);
      const x = p % width;
      const neighbours = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p - width, p + width];
      for (const q of neighbours) {
        if (q < 0 || q >= n) continue;
        if (candidate[q]) {
          if (!seen[q]) {
            seen[q] = 1;
            stack[top++] = q;
          }
        } else if (edges[q]! >= barrier) hard++;
        else soft++;
      }
    }
    if (region.length < n * MIN_SHADOW_SHARE) continue;
    if (soft / Math.max(1, soft + hard) < MIN_SOFT_BOUNDARY) continue;
    let deepest = 0;
    for (const p of region) deepest = Math.max(deepest, expected.l[p]! - lab.l[p]!);
    let plateau = 0;
    for (const p of region) if (expected.l[p]! - lab.l[p]! >= 0.8 * deepest) plateau++;
    if (plateau > region.length * MAX_PLATEAU) continue;
    for (const p of region) shadow[p] = 1;
    total += region.length;
  }
  return { shadow, share: total / n };
}
