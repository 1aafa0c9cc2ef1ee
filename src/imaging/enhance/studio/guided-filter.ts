/**
 * Mean over a (2r+1)² window clamped at the image edges, by running sums: O(1) per pixel whatever `r`.
 */
export function boxMean(src: Float32Array, width: number, height: number, r: number): Float32Array {
  const tmp = new Float32Array(width * height);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let sum = 0;
    for (let x = 0; x <= Math.min(r, width - 1); x++) sum += src[row + x]!;
    for (let x = 0; x < width; x++) {
      const lo = Math.max(0, x - r);
      const hi = Math.min(width - 1, x + r);
      tmp[row + x] = sum / (hi - lo + 1);
      if (x + r + 1 < width) sum += src[row + x + r + 1]!;
      if (x - r >= 0) sum -= src[row + x - r]!;
    }
  }
  for (let x = 0; x < width; x++) {
    let sum = 0;
    for (let y = 0; y <= Math.min(r, height - 1); y++) sum += tmp[y * width + x]!;
    for (let y = 0; y < height; y++) {
      const lo = Math.max(0, y - r);
      const hi = Math.min(height - 1, y + r);
      out[y * width + x] = sum / (hi - lo + 1);
      if (y + r + 1 < height) sum += tmp[(y + r + 1) * width + x]!;
      if (y - r >= 0) sum -= tmp[(y - r) * width + x]!;
    }
  }
  return out;
}

/**
 * Grey guided filter (He et al.): `input` (a coarse mask, 0…1) follows the edges of `guide` (luminance,
 * 0…1) within radius `r`; `eps` says how strong an edge must be to be followed (a variance, in guide units²).
 * Used at full resolution on the upsampled working-size mask, so the outline lands on the photo's edges.
 */
export function guidedFilter(
  guide: Float32Array,
  input: Float32Array,
  width: number,
  height: number,
  r: number,
  eps: number,
): Float32Array {
  const n = width * height;
  const product = new Float32Array(n);
  const square = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    product[p] = guide[p]! * input[p]!;
    square[p] = guide[p]! * guide[p]!;
  }
  const meanI = boxMean(guide, width, height, r);
  const meanP = boxMean(input, width, height, r);
  const meanIp = boxMean(product, width, height, r);
  const meanII = boxMean(square, width, height, r);
  const a = product; // reused
  const b = square;
  for (let p = 0; p < n; p++) {
    const variance = meanII[p]! - meanI[p]! * meanI[p]!;
    const covariance = meanIp[p]! - meanI[p]! * meanP[p]!;
    a[p] = covariance / (variance + eps);
    b[p] = meanP[p]! - a[p]! * meanI[p]!;
  }
  const meanA = boxMean(a, width, height, r);
  const meanB = boxMean(b, width, height, r);
  const out = meanI; // reused
  for (let p = 0; p < n; p++) out[p] = meanA[p]! * guide[p]! + meanB[p]!;
  return out;
}
