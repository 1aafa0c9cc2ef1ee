import { sharp } from '../sharp-lib.ts';
import { planCanvas } from './canvas-plan.ts';
import { planColourCorrection } from './colour-correction.ts';
import type { EnhancePreset, PreservationLevel } from './enhance-types.ts';
import type { ForegroundSelection } from './foreground-selection.ts';
import { type AlphaMask, type Box, ColourHistogram, type Rgb, type RgbImage } from './pixel-buffers.ts';
import { PRESET_IDS, PRESETS } from './presets.ts';
import { drawContactShadow } from './synthetic-shadow.ts';
import { type EnhanceWarning, warning } from './warnings.ts';

const THUMBNAIL_SIZE = 400;
const JPEG = { quality: 90, chromaSubsampling: '4:4:4', mozjpeg: false } as const;
const THUMBNAIL_JPEG = { quality: 85, chromaSubsampling: '4:4:4', mozjpeg: false } as const;
/** Mask values below this are the original backdrop, for its colour. */
const BACKDROP_ALPHA = 16;
/** Source pixels kept around the product box so its soft edge is not cut off. */
const CROP_PAD = 4;
/** Below this opacity the edge colour is mostly backdrop and un-mixing it only amplifies noise. */
const MIN_UNMIX_ALPHA = 0.3;
const UPSCALE_WARNING = 2;
/** Resampled product coverage below this (3 %) is ringing, not product. */
const MIN_COVERAGE = 8;
/** The presets to suggest when objects were dropped. */
const KEEPS_ALL = PRESET_IDS.filter((id) => PRESETS[id].keep === 'all').join(' or ');

export interface ComposeRequest {
  readonly image: RgbImage;
  /** The provider's mask, for the backdrop colour. */
  readonly mask: AlphaMask;
  readonly selection: ForegroundSelection;
  readonly preset: EnhancePreset;
  readonly preservationLevel: PreservationLevel;
  /** Draw a clean soft shadow under the product (the segmenter removed the photo's own). */
  readonly syntheticShadow?: boolean;
}

export interface ComposedImage {
  readonly image: Buffer;
  readonly thumbnail: Buffer;
  readonly width: number;
  readonly height: number;
  readonly warnings: EnhanceWarning[];
}

/**
 * The catalog image: the selected product, colour-corrected for the preservation level, scaled so its
 * box's longer side is the preset's fill (85 %) of a square canvas, centred on pure white (every pixel outside the product
 * exactly RGB 255), mildly sharpened, JPEG q90 4:4:4 sRGB, plus a 400 px thumbnail.
 */
export async function composeCatalogImage(request: ComposeRequest): Promise<ComposedImage> {
  const { image, selection, preset } = request;
  const warnings: EnhanceWarning[] = [];
  const backdrop = backdropColour(image, request.mask);
  const { box } = selection;
  const longSide = Math.max(box.width, box.height);
  const plan = planCanvas(preset, longSide);
  const crop = padBox(box, CROP_PAD, image.width, image.height);
  const correction = planColourCorrection(image, selection.alpha, crop, request.preservationLevel, backdrop);
  warnings.push(...correction.warnings);
  const onWhite = productOnWhite(image, selection.alpha, crop, backdrop, correction.correct);

  const width = Math.max(1, Math.round(crop.width * plan.scale));
  const height = Math.max(1, Math.round(crop.height * plan.scale));
  const resized = sharp(onWhite.rgb, { raw: { width: crop.width, height: crop.height, channels: 3 } }).resize(
    width,
    height,
    { fit: 'fill', kernel: 'lanczos3' },
  );
  const sharpen = sharpening(plan.scale);
  if (sharpen) resized.convolve(sharpen);
  const [product, coverage] = await Promise.all([
    resized.raw().toBuffer(),
    // Coverage only decides where the canvas stays exactly white: a linear kernel has no ringing of its
    // own and a narrower reach than lanczos3, so the product's ringing beyond its edge is cut off.
    // A 1-channel raw input comes back with 3 channels after resize unless the channel is extracted.
    sharp(onWhite.alpha, { raw: { width: crop.width, height: crop.height, channels: 1 } })
      .resize(width, height, { fit: 'fill', kernel: 'linear' })
      .extractChannel(0)
      .raw()
      .toBuffer(),
  ]);

  const size = plan.size;
  const left = Math.round((size - box.width * plan.scale) / 2 - (box.left - crop.left) * plan.scale);
  const top = Math.round((size - box.height * plan.scale) / 2 - (box.top - crop.top) * plan.scale);
  const canvas = Buffer.alloc(size * size * 3, 255);
  for (let y = 0; y < height; y++) {
    const cy = top + y;
    if (cy < 0 || cy >= size) continue;
    for (let x = 0; x < width; x++) {
      const cx = left + x;
      // Resampling rings a little around edges: where (almost) no product is left, the canvas stays exactly
      // white rather than a shade off it.
      if (cx < 0 || cx >= size || coverage[y * width + x]! < MIN_COVERAGE) continue;
      const from = (y * width + x) * 3;
      const to = (cy * size + cx) * 3;
      canvas[to] = product[from]!;
      canvas[to + 1] = product[from + 1]!;
      canvas[to + 2] = product[from + 2]!;
    }
  }

  if (request.syntheticShadow) {
    const onCanvas = {
      left: left + (box.left - crop.left) * plan.scale,
      top: top + (box.top - crop.top) * plan.scale,
      width: box.width * plan.scale,
      height: box.height * plan.scale,
    };
    drawContactShadow(canvas, size, onCanvas, (x, y) => {
      const px = x - left;
      const py = y - top;
      if (px < 0 || py < 0 || px >= width || py >= height) return 0;
      const c = coverage[py * width + px]!;
      return c < MIN_COVERAGE ? 0 : c;
    });
  }

  const raw = { raw: { width: size, height: size, channels: 3 } } as const;
  const [jpeg, thumbnail] = await Promise.all([
    sharp(canvas, raw).jpeg(JPEG).withIccProfile('srgb').toBuffer(),
    sharp(canvas, raw)
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { kernel: 'lanczos3' })
      .jpeg(THUMBNAIL_JPEG)
      .withIccProfile('srgb')
      .toBuffer(),
  ]);

  if (selection.dropped > 0) {
    const others = selection.dropped === 1 ? '1 other object was' : `${selection.dropped} other objects were`;
    warnings.push(
      warning(
        'multiple_products',
        `${others} removed; only the main product is kept (${KEEPS_ALL} keeps them all).`,
      ),
    );
  }
  if (selection.touchesEdge) warnings.push(warning('product_touches_frame'));
  if (plan.scale > UPSCALE_WARNING) {
    warnings.push(
      warning(
        'upscaled',
        `The product is small in the photo (${longSide} px); it was enlarged ${plan.scale.toFixed(1)}× and may look soft.`,
      ),
    );
  }
  return { image: jpeg, thumbnail, width: size, height: size, warnings };
}

/** Median colour of what the mask calls backdrop, when enough of it is visible to trust. */
function backdropColour(image: RgbImage, mask: AlphaMask): Rgb | null {
  const colours = new ColourHistogram();
  // Every other pixel of every other row: the median is as good and the loop four times shorter.
  for (let y = 0; y < mask.height; y += 2) {
    for (let x = 0; x < mask.width; x += 2) {
      const p = y * mask.width + x;
      if (mask.data[p]! < BACKDROP_ALPHA) colours.add(image.data, p * 3);
    }
  }
  return colours.count >= mask.data.length * 0.0025 ? colours.median() : null;
}

function padBox(box: Box, pad: number, width: number, height: number): Box {
  const left = Math.max(0, box.left - pad);
  const top = Math.max(0, box.top - pad);
  const right = Math.min(width, box.left + box.width + pad);
  const bottom = Math.min(height, box.top + box.height + pad);
  return { left, top, width: right - left, height: bottom - top };
}

/**
 * The crop composited onto white at source resolution: resampling that afterwards equals resampling
 * the premultiplied cut-out, so no backdrop colour bleeds into the edges. Soft edge pixels are first
 * un-mixed from the backdrop colour (C = αF + (1 − α)B, solved for F), which removes the grey fringe a
 * cut-out from a grey backdrop would otherwise carry onto white.
 */
function productOnWhite(
  image: RgbImage,
  alpha: Uint8Array,
  crop: Box,
  backdrop: Rgb | null,
  correct: (r: number, g: number, b: number, out: Float32Array) => void,
): { rgb: Buffer; alpha: Buffer } {
  const rgb = Buffer.alloc(crop.width * crop.height * 3, 255);
  const cropAlpha = Buffer.alloc(crop.width * crop.height);
  const colour = new Float32Array(3);
  const { data } = image;
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      const p = (crop.top + y) * image.width + crop.left + x;
      const a = alpha[p]!;
      if (a === 0) continue;
      const q = y * crop.width + x;
      cropAlpha[q] = a;
      const opacity = a / 255;
      const at = p * 3;
      let r = data[at]!;
      let g = data[at + 1]!;
      let b = data[at + 2]!;
      if (backdrop && a < 255 && opacity >= MIN_UNMIX_ALPHA) {
        r = unmix(r, backdrop[0], opacity);
        g = unmix(g, backdrop[1], opacity);
        b = unmix(b, backdrop[2], opacity);
      }
      correct(r, g, b, colour);
      const to = q * 3;
      rgb[to] = Math.round(opacity * colour[0]! + (1 - opacity) * 255);
      rgb[to + 1] = Math.round(opacity * colour[1]! + (1 - opacity) * 255);
      rgb[to + 2] = Math.round(opacity * colour[2]! + (1 - opacity) * 255);
    }
  }
  return { rgb, alpha: cropAlpha };
}

function unmix(mixed: number, backdrop: number, opacity: number): number {
  const value = Math.round((mixed - (1 - opacity) * backdrop) / opacity);
  return Math.min(255, Math.max(0, value));
}

/**
 * A mild 3×3 sharpening kernel (Laplacian), weaker once the product was enlarged: sharpening interpolated
 * detail only adds halos. The same kernel on every channel keeps neutral edges neutral, and it costs a
 * fifth of sharp's LAB-space `sharpen`.
 */
function sharpening(scale: number): { width: number; height: number; kernel: number[] } | null {
  const amount = scale <= 1.5 ? 0.2 : scale <= 3 ? 0.1 : 0;
  if (amount === 0) return null;
  const a = -amount;
  return { width: 3, height: 3, kernel: [0, a, 0, a, 1 + 4 * amount, a, 0, a, 0] };
}
