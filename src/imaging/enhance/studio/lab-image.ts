/** CIE L*a*b* (D65) planes of an image: the space where ΔE is a perceived colour difference. */
export interface LabImage {
  readonly width: number;
  readonly height: number;
  readonly l: Float32Array;
  readonly a: Float32Array;
  readonly b: Float32Array;
}

const LINEAR = new Float32Array(256);
for (let v = 0; v < 256; v++) {
  const c = v / 255;
  LINEAR[v] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

const labF = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t) / 116 + 16 / 116);

/** 8-bit sRGB (3 bytes per pixel) to Lab planes. */
export function rgbToLab(rgb: Uint8Array, width: number, height: number): LabImage {
  const n = width * height;
  const l = new Float32Array(n);
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const r = LINEAR[rgb[p * 3]!]!;
    const g = LINEAR[rgb[p * 3 + 1]!]!;
    const bl = LINEAR[rgb[p * 3 + 2]!]!;
    const fx = labF((0.4124 * r + 0.3576 * g + 0.1805 * bl) / 0.95047);
    const fy = labF(0.2126 * r + 0.7152 * g + 0.0722 * bl);
    const fz = labF((0.0193 * r + 0.1192 * g + 0.9505 * bl) / 1.08883);
    l[p] = 116 * fy - 16;
    a[p] = 500 * (fx - fy);
    b[p] = 200 * (fy - fz);
  }
  return { width, height, l, a, b };
}

/** ΔE (CIE76) between pixels `p` and `q` of one image. */
export function deltaE(lab: LabImage, p: number, q: number): number {
  const dl = lab.l[p]! - lab.l[q]!;
  const da = lab.a[p]! - lab.a[q]!;
  const db = lab.b[p]! - lab.b[q]!;
  return Math.sqrt(dl * dl + da * da + db * db);
}

/**
 * Edge strength per pixel: the larger ΔE between its left and right, and its upper and lower neighbours
 * (a central difference over 2 px, so a one-pixel-wide edge and a two-pixel one read alike).
 */
export function edgeStrength(lab: LabImage): Float32Array {
  const { width, height } = lab;
  const out = new Float32Array(width * height);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const p = y * width + x;
      out[p] = Math.max(deltaE(lab, p - 1, p + 1), deltaE(lab, p - width, p + width));
    }
  }
  return out;
}
