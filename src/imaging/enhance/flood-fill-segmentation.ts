import { sharp } from '../sharp-lib.ts';
import { type AlphaMask, ColourHistogram, histogramPercentile, type RgbImage } from './pixel-buffers.ts';
import { ProviderError } from './provider-error.ts';
import type { Segmentation } from './segmentation-provider.ts';
import { type EnhanceWarning, warning } from './warnings.ts';

// Thresholds measured and listed in src/imaging/enhance/README.md (measured on catalog-style photos); distances are Euclidean in RGB.
const BORDER_FRACTION = 0.02;
const UNIFORM_DISTANCE = 30;
/** Below this share of border pixels near the background colour, the flood fill produces garbage. */
const MIN_UNIFORMITY = 0.9;
const FILL_DISTANCE = 40;
const MIN_FOREGROUND = 0.005;
const MAX_FOREGROUND = 0.95;
/** A product whose typical pixel is this close to the background loses edge pixels to the fill. */
const LOW_CONTRAST_DISTANCE = 60;
/** Evens out sensor noise and JPEG blocks so single pixels neither stop nor leak the fill. */
const DENOISE_SIGMA = 1;
/** About one pixel of soft edge, so the cut-out is not stair-stepped once scaled. */
const FEATHER_SIGMA = 0.8;

const NOT_UNIFORM_MESSAGE =
  "classical segmentation needs a plain, uniform background; this photo's border is not uniform";

/**
 * The classical segmenter's fast path (studio/segment-studio-photo.ts decides whether its mask is kept).
 * Background = median colour of a 2 % border frame; refuses when that frame is not uniform. The
 * background is flood-filled from that frame, so what the fill cannot reach is the product, light
 * areas enclosed by it (labels) included.
 */
export async function segmentClassically(image: RgbImage): Promise<Segmentation> {
  const { width, height } = image;
  const pixels = width * height;
  const { data } = await blurRgb(image, DENOISE_SIGMA);
  const frame = Math.max(1, Math.round(Math.min(width, height) * BORDER_FRACTION));

  const frameColours = new ColourHistogram();
  forEachFramePixel(width, height, frame, (p) => frameColours.add(data, p * 3));
  const background = frameColours.median();
  if (!background) throw new ProviderError('classical segmentation: the image is empty');
  const [br, bg, bb] = background;
  const distance2 = (p: number): number => {
    const r = data[p * 3]! - br;
    const g = data[p * 3 + 1]! - bg;
    const b = data[p * 3 + 2]! - bb;
    return r * r + g * g + b * b;
  };

  let frameUniform = 0;
  forEachFramePixel(width, height, frame, (p) => {
    if (distance2(p) <= UNIFORM_DISTANCE * UNIFORM_DISTANCE) frameUniform++;
  });
  const uniformity = frameUniform / frameColours.count;
  if (uniformity < MIN_UNIFORMITY) {
    throw new ProviderError(
      `${NOT_UNIFORM_MESSAGE} (${Math.floor(uniformity * 100)} % of it matches the background colour, ` +
        `${MIN_UNIFORMITY * 100} % needed)`,
    );
  }

  const passable = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) if (distance2(p) <= FILL_DISTANCE * FILL_DISTANCE) passable[p] = 1;
  const reached = floodFromFrame(passable, width, height, frame);
  const mask = new Uint8Array(pixels);
  let foreground = 0;
  const distances = new Uint32Array(443); // ⌈√(3 × 255²)⌉
  for (let p = 0; p < pixels; p++) {
    if (reached[p]) continue;
    mask[p] = 255;
    foreground++;
    distances[Math.round(Math.sqrt(distance2(p)))]!++;
  }
  const share = foreground / pixels;
  if (share < MIN_FOREGROUND) {
    throw new ProviderError(
      'classical segmentation found no product that stands out from the background ' +
        '(the product may be too close to the background colour)',
    );
  }
  // The uniformity check above already bounds this (a uniform frame is reached by the fill); the area
  // check stays as the plain statement of what a plausible product is.
  if (share > MAX_FOREGROUND) {
    throw new ProviderError(
      'classical segmentation could not separate the product: it covers almost the whole photo',
    );
  }
  const warnings: EnhanceWarning[] = [];
  if (histogramPercentile(distances, foreground, 0.5) < LOW_CONTRAST_DISTANCE) {
    warnings.push(
      warning(
        'low_confidence_edges',
        'The product is close to the background colour; its edges may be incomplete (a segmentation model handles this better).',
      ),
    );
  }
  return { mask: await feather({ width, height, data: mask }, FEATHER_SIGMA), warnings };
}

/**
 * 4-connected fill over `passable` pixels, seeded by every passable pixel of the border frame (not only
 * the outermost row, where a hairline or a dark scanner edge would block the start).
 */
function floodFromFrame(passable: Uint8Array, width: number, height: number, frame: number): Uint8Array {
  const reached = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  let top = 0;
  forEachFramePixel(width, height, frame, (p) => {
    if (passable[p]) {
      reached[p] = 1;
      stack[top++] = p;
    }
  });
  const lastRow = width * height - width;
  // Neighbours are marked when pushed, so every pixel enters the stack at most once.
  while (top > 0) {
    const p = stack[--top]!;
    const x = p % width;
    if (x > 0 && passable[p - 1] && !reached[p - 1]) {
      reached[p - 1] = 1;
      stack[top++] = p - 1;
    }
    if (x < width - 1 && passable[p + 1] && !reached[p + 1]) {
      reached[p + 1] = 1;
      stack[top++] = p + 1;
    }
    if (p >= width && passable[p - width] && !reached[p - width]) {
      reached[p - width] = 1;
      stack[top++] = p - width;
    }
    if (p < lastRow && passable[p + width] && !reached[p + width]) {
      reached[p + width] = 1;
      stack[top++] = p + width;
    }
  }
  return reached;
}

/** Visits the pixels within `frame` of the image edge, skipping the inside of each row. */
function forEachFramePixel(
  width: number,
  height: number,
  frame: number,
  visit: (pixel: number) => void,
): void {
  for (let y = 0; y < height; y++) {
    const band = y < frame || y >= height - frame;
    for (let x = 0; x < width; x = band || x < frame - 1 || x >= width - frame ? x + 1 : width - frame) {
      visit(y * width + x);
    }
  }
}

async function blurRgb(image: RgbImage, sigma: number): Promise<RgbImage> {
  const { width, height } = image;
  const data = await sharp(image.data, { raw: { width, height, channels: 3 } })
    .blur(sigma)
    .raw()
    .toBuffer();
  return { width, height, data };
}

async function feather(mask: AlphaMask, sigma: number): Promise<AlphaMask> {
  const { width, height } = mask;
  // A 1-channel raw input comes back with 3 channels after blur unless the channel is extracted again.
  const data = await sharp(mask.data, { raw: { width, height, channels: 1 } })
    .blur(sigma)
    .extractChannel(0)
    .raw()
    .toBuffer();
  return { width, height, data };
}
