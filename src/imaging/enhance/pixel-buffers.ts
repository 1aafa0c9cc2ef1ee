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

/** Per-channel histograms of selected pixels: exact medians in linear time. */
export class ColourHistogram {
  readonly #red = new Uint32Array(256);
  readonly #green = new Uint32Array(256);
  readonly #blue = new Uint32Array(256);
  count = 0;

  /** Adds the pixel whose red byte is at `at` in `data`. */
  add(data: Uint8Array, at: number): void {
    this.#red[data[at]!]!++;
    this.#green[data[at + 1]!]!++;
    this.#blue[data[at + 2]!]!++;
    this.count++;
  }

  median(): Rgb | null {
    if (this.count === 0) return null;
    return [
      histogramPercentile(this.#red, this.count, 0.5),
      histogramPercentile(this.#green, this.count, 0.5),
      histogramPercentile(this.#blue, this.count, 0.5),
    ];
  }
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
