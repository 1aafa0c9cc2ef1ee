/** 8-bit sRGB, 3 bytes per pixel, rows top to bottom. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;
}

/** One byte per pixel: 255 is product, 0 background, values between are soft edges. */
export interface AlphaMask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export type Rgb = readonly [number, number, number];

export interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Per-channel median of the pixels `include` selects (histograms: exact and linear time). */
export function medianColour(image: RgbImage, include: (pixel: number) => boolean): Rgb | null {
  const histograms = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)] as const;
  const { data } = image;
  const pixels = image.width * image.height;
  let count = 0;
  for (let p = 0; p < pixels; p++) {
    if (!include(p)) continue;
    const at = p * 3;
    histograms[0][data[at]!]!++;
    histograms[1][data[at + 1]!]!++;
    histograms[2][data[at + 2]!]!++;
    count++;
  }
  if (count === 0) return null;
  return [
    histogramPercentile(histograms[0], count, 0.5),
    histogramPercentile(histograms[1], count, 0.5),
    histogramPercentile(histograms[2], count, 0.5),
  ];
}

/** The smallest value with at least `fraction` of `count` samples at or below it. */
export function histogramPercentile(histogram: Uint32Array, count: number, fraction: number): number {
  const wanted = Math.max(1, Math.ceil(count * fraction));
  let seen = 0;
  for (let value = 0; value < histogram.length; value++) {
    seen += histogram[value]!;
    if (seen >= wanted) return value;
  }
  return histogram.length - 1;
}
