import type { LabImage } from './lab-image.ts';

/** The sure-background frame: this share of the shorter side, on every edge. */
const FRAME_FRACTION = 0.03;
/** Frame pixels further than this many noise levels from the fit are not backdrop (a product, a prop). */
const INLIER_NOISE_FACTOR = 2.5;
/** Floor of the inlier distance, ΔE: even a perfect render has JPEG wobble of a few ΔE. */
const MIN_INLIER_DISTANCE = 3;
const REFITS = 5;
/** A smooth fit this noisy may be a mottled backdrop: clusters are tried too, and the quieter wins. */
const TRY_CLUSTERS_ABOVE_NOISE = 2.5;
const CLUSTERS = 4;
const KMEANS_ROUNDS = 10;

/**
 * What the backdrop looks like everywhere: `expected` is the colour a backdrop pixel would have there, and
 * `distance` how far (ΔE) each pixel is from it. `noise` is the typical distance of the frame's own
 * backdrop pixels (median), the yardstick for every later threshold.
 */
export interface BackgroundModel {
  readonly kind: 'smooth' | 'clustered';
  readonly expected: LabImage;
  readonly distance: Float32Array;
  readonly noise: number;
  /** Width of the frame, px. */
  readonly frame: number;
  /** Share of frame pixels that fit the model: below 1 where a product touches the frame. */
  readonly frameInliers: number;
}

function frameWidth(width: number, height: number): number {
  return Math.max(2, Math.round(Math.min(width, height) * FRAME_FRACTION));
}

export function isFramePixel(x: number, y: number, width: number, height: number, frame: number): boolean {
  return x < frame || y < frame || x >= width - frame || y >= height - frame;
}

/**
 * A quadratic surface per Lab channel over the image, fitted by least squares to the border frame and
 * refitted on its inliers: studio gradients and vignettes are smooth, so the fit predicts the backdrop
 * behind the product too. When that leaves the frame noisy (a mottled or two-tone backdrop), k-means
 * clusters of frame colours are tried instead, and the model with the quieter frame is kept.
 */
export function fitBackgroundModel(lab: LabImage): BackgroundModel {
  const { width, height } = lab;
  const frame = frameWidth(width, height);
  const framePixels: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      if (isFramePixel(x, y, width, height, frame)) framePixels.push(y * width + x);
  }
  const smooth = fitSmooth(lab, framePixels, frame);
  if (smooth.noise <= TRY_CLUSTERS_ABOVE_NOISE) return smooth;
  const clustered = fitClusters(lab, framePixels, frame);
  return clustered.noise < smooth.noise * 0.8 ? clustered : smooth;
}

const BASIS = 6;
function basis(x: number, y: number, width: number, height: number, out: Float64Array): void {
  const u = (2 * x) / (width - 1) - 1;
  const v = (2 * y) / (height - 1) - 1;
  out[0] = 1;
  out[1] = u;
  out[2] = v;
  out[3] = u * u;
  out[4] = u * v;
  out[5] = v * v;
}

function fitSmooth(lab: LabImage, framePixels: readonly number[], frame: number): BackgroundModel {
  const { width, height } = lab;
  const channels = [lab.l, lab.a, lab.b] as const;
  let inliers = closestToMedianColour(lab, framePixels);
  let coefficients: Float64Array[] = channels.map(() => new Float64Array(BASIS));
  const residual = new Float32Array(framePixels.length);
  let noise = 0;
  const phi = new Float64Array(BASIS);
  const inlier = new Uint8Array(width * height);
  for (let round = 0; round <= REFITS; round++) {
    coefficients = channels.map((channel) => leastSquares(inliers, channel, width, height));
    for (let i = 0; i < framePixels.length; i++) {
      const p = framePixels[i]!;
      basis(p % width, Math.floor(p / width), width, height, phi);
      let sum = 0;
      for (let c = 0; c < 3; c++) {
        const d = channels[c]![p]! - dot(coefficients[c]!, phi);
        sum += d * d;
      }
      residual[i] = Math.sqrt(sum);
    }
    // Noise from the pixels the fit was made on: what touches the frame must not inflate it.
    inlier.fill(0);
    for (const p of inliers) inlier[p] = 1;
    noise = median(residual.filter((_, i) => inlier[framePixels[i]!] === 1));
    const limit = Math.max(MIN_INLIER_DISTANCE, INLIER_NOISE_FACTOR * noise);
    const next = framePixels.filter((_, i) => residual[i]! <= limit);
    if (next.length < BASIS * 10) break;
    inliers = next;
  }
  const n = width * height;
  const expected = { width, height, l: new Float32Array(n), a: new Float32Array(n), b: new Float32Array(n) };
  const planes = [expected.l, expected.a, expected.b] as const;
  const distance = new Float32Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      basis(x, y, width, height, phi);
      const p = y * width + x;
      let sum = 0;
      for (let c = 0; c < 3; c++) {
        const value = dot(coefficients[c]!, phi);
        planes[c]![p] = value;
        const d = channels[c]![p]! - value;
        sum += d * d;
      }
      distance[p] = Math.sqrt(sum);
    }
  }
  const inlierNoise = median(Float32Array.from(inliers, (p) => distance[p]!));
  return {
    kind: 'smooth',
    expected,
    distance,
    noise: inlierNoise,
    frame,
    frameInliers: inliers.length / framePixels.length,
  };
}

/**
 * The first fit's pixels: the half of the frame closest in colour to its median colour. Whatever touches
 * the frame (a product, a prop) is left out before it can pull the fit; the refits take the rest back.
 */
function closestToMedianColour(lab: LabImage, framePixels: readonly number[]): number[] {
  const centre = [lab.l, lab.a, lab.b].map((plane) =>
    median(Float32Array.from(framePixels, (p) => plane[p]!)),
  );
  const distances = Float32Array.from(framePixels, (p) =>
    Math.hypot(lab.l[p]! - centre[0]!, lab.a[p]! - centre[1]!, lab.b[p]! - centre[2]!),
  );
  const limit = median(distances);
  return framePixels.filter((_, i) => distances[i]! <= limit);
}

/** Normal equations (6 × 6), solved by Gaussian elimination with partial pivoting. */
function leastSquares(
  pixels: readonly number[],
  values: Float32Array,
  width: number,
  height: number,
): Float64Array {
  const ata = new Float64Array(BASIS * BASIS);
  const atb = new Float64Array(BASIS);
  const phi = new Float64Array(BASIS);
  for (const p of pixels) {
    basis(p % width, Math.floor(p / width), width, height, phi);
    const v = values[p]!;
    for (let i = 0; i < BASIS; i++) {
      atb[i]! += phi[i]! * v;
      for (let j = 0; j < BASIS; j++) ata[i * BASIS + j]! += phi[i]! * phi[j]!;
    }
  }
  // A tiny ridge keeps the system solvable when the frame is thin in one direction.
  for (let i = 0; i < BASIS; i++) ata[i * BASIS + i]! += 1e-6 * pixels.length;
  return solve(ata, atb, BASIS);
}

function solve(m: Float64Array, rhs: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(m);
  const b = Float64Array.from(rhs);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    if (pivot !== col) {
      for (let k = 0; k < n; k++) [a[col * n + k], a[pivot * n + k]] = [a[pivot * n + k]!, a[col * n + k]!];
      [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    }
    const d = a[col * n + col]! || 1e-12;
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col]! / d;
      if (f === 0) continue;
      for (let k = col; k < n; k++) a[r * n + k]! -= f * a[col * n + k]!;
      b[r]! -= f * b[col]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let k = r + 1; k < n; k++) s -= a[r * n + k]! * x[k]!;
    x[r] = s / (a[r * n + r]! || 1e-12);
  }
  return x;
}

function dot(c: Float64Array, phi: Float64Array): number {
  let s = 0;
  for (let i = 0; i < BASIS; i++) s += c[i]! * phi[i]!;
  return s;
}

/**
 * k-means of frame colours (deterministic farthest-point start, a few Lloyd rounds); a pixel's distance is
 * to the nearest cluster, its expected colour that cluster's centre.
 */
function fitClusters(lab: LabImage, framePixels: readonly number[], frame: number): BackgroundModel {
  const { width, height } = lab;
  const n = width * height;
  const colour = (p: number): [number, number, number] => [lab.l[p]!, lab.a[p]!, lab.b[p]!];
  const centres: [number, number, number][] = [colour(framePixels[0]!)];
  const nearest = (p: number): [number, number] => {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (let k = 0; k < centres.length; k++) {
      const c = centres[k]!;
      const d = (lab.l[p]! - c[0]) ** 2 + (lab.a[p]! - c[1]) ** 2 + (lab.b[p]! - c[2]) ** 2;
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return [best, Math.sqrt(bestD)];
  };
  // Farthest-point start among the quieter 95 % of the frame, so a product touching it does not claim a cluster.
  while (centres.length < CLUSTERS) {
    const ds = framePixels.map((p) => nearest(p)[1]);
    const cap = quantile(Float32Array.from(ds), 0.95);
    let pick = -1;
    let far = -1;
    for (let i = 0; i < framePixels.length; i++) {
      if (ds[i]! <= cap && ds[i]! > far) {
        far = ds[i]!;
        pick = i;
      }
    }
    if (pick < 0 || far < MIN_INLIER_DISTANCE) break;
    centres.push(colour(framePixels[pick]!));
  }
  for (let round = 0; round < KMEANS_ROUNDS; round++) {
    const sums = centres.map(() => [0, 0, 0, 0]);
    for (const p of framePixels) {
      const s = sums[nearest(p)[0]]!;
      s[0]! += lab.l[p]!;
      s[1]! += lab.a[p]!;
      s[2]! += lab.b[p]!;
      s[3]!++;
    }
    sums.forEach((s, k) => {
      if (s[3]! > 0) centres[k] = [s[0]! / s[3]!, s[1]! / s[3]!, s[2]! / s[3]!];
    });
  }
  const expected = { width, height, l: new Float32Array(n), a: new Float32Array(n), b: new Float32Array(n) };
  const distance = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const [k, d] = nearest(p);
    const c = centres[k]!;
    expected.l[p] = c[0];
    expected.a[p] = c[1];
    expected.b[p] = c[2];
    distance[p] = d;
  }
  const frameDistances = Float32Array.from(framePixels, (p) => distance[p]!);
  const noise = median(frameDistances);
  const limit = Math.max(MIN_INLIER_DISTANCE, INLIER_NOISE_FACTOR * noise);
  const inliers = frameDistances.filter((d) => d <= limit).length;
  return { kind: 'clustered', expected, distance, noise, frame, frameInliers: inliers / framePixels.length };
}

function median(values: Float32Array): number {
  return quantile(values, 0.5);
}

function quantile(values: Float32Array, q: number): number {
  if (values.length === 0) return 0;
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}
