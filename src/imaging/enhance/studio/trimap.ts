import { type BackgroundModel, isFramePixel } from './background-model.ts';

/** Trimap labels, the values OpenCV's GrabCut reads (GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD). */
export const SURE_BACKGROUND = 0;
export const SURE_FOREGROUND = 1;
export const PROBABLE_BACKGROUND = 2;
export const PROBABLE_FOREGROUND = 3;

/** Floor of the foreground threshold, ΔE: a clean render still has a few ΔE of JPEG wobble. */
const MIN_THRESHOLD = 4;
/** The foreground threshold in backdrop noise levels. */
const NOISE_FACTOR = 5;
/** Sure foreground: this many thresholds from the backdrop… */
const SURE_FACTOR = 2.5;
/** …and this far (px, working size) from anything weaker. */
const SURE_ERODE = 2;

/** ΔE from the backdrop model above which a pixel is probably foreground. */
export function foregroundThreshold(noise: number): number {
  return Math.max(MIN_THRESHOLD, NOISE_FACTOR * noise);
}

/**
 * The trimap GrabCut starts from: frame pixels that fit the backdrop and soft shadows are sure background;
 * pixels further than the threshold from the model probably foreground, the rest probably background;
 * a strong core (well past the threshold, eroded) sure foreground. Frame pixels that do not fit (a product
 * touching the frame) stay uncertain, so such a product is kept whole.
 */
export function buildTrimap(model: BackgroundModel, shadow: Uint8Array | null): Uint8Array {
  const { width, height } = model.expected;
  const { distance, frame } = model;
  const n = width * height;
  const threshold = foregroundThreshold(model.noise);
  const strong = new Uint8Array(n);
  const trimap = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const d = distance[p]!;
      if (shadow?.[p]) trimap[p] = SURE_BACKGROUND;
      else if (d > threshold) trimap[p] = PROBABLE_FOREGROUND;
      else trimap[p] = isFramePixel(x, y, width, height, frame) ? SURE_BACKGROUND : PROBABLE_BACKGROUND;
      if (d > threshold * SURE_FACTOR && !shadow?.[p]) strong[p] = 1;
    }
  }
  const core = erode(strong, width, height, SURE_ERODE);
  for (let p = 0; p < n; p++) if (core[p]) trimap[p] = SURE_FOREGROUND;
  return trimap;
}

/** Binary erosion by a (2r+1)² square, from a summed-area table. */
export function erode(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  const stride = width + 1;
  const sat = new Int32Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += mask[y * width + x]!;
      sat[(y + 1) * stride + x + 1] = sat[y * stride + x + 1]! + row;
    }
  }
  const out = new Uint8Array(width * height);
  const full = (2 * r + 1) ** 2;
  for (let y = r; y < height - r; y++) {
    for (let x = r; x < width - r; x++) {
      const y0 = y - r;
      const y1 = y + r + 1;
      const x0 = x - r;
      const x1 = x + r + 1;
      const sum =
        sat[y1 * stride + x1]! - sat[y0 * stride + x1]! - sat[y1 * stride + x0]! + sat[y0 * stride + x0]!;
      if (sum === full) out[y * width + x] = 1;
    }
  }
  return out;
}
