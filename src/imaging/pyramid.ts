import type { Dimensions } from './header-dimensions.ts';
import type { ImageFormat } from './image-format.ts';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';
import type { ImageSource } from './image-source.ts';
import { type ImageWorkQueue, sharedImageWorkQueue } from './image-work-queue.ts';
import { decodeOptions, inspectRaster, type NativeFormat } from './raster-source.ts';
import { keepsPyramid, planRendition, type RenditionParams } from './rendition-operations.ts';
import { MAX_REQUESTED_DIMENSION, SIZE_PRESETS } from './resize-plan.ts';
import { asImageFailure } from './sharp-failure.ts';
import { type Sharp, sharp } from './sharp-lib.ts';
import { encodeVipsLevel } from './vips-level.ts';

/**
 * A pyramid of reduced copies of a large still (halves, quarters, …), made once after upload so that a rendition
 * decodes the smallest copy that still covers it instead of the whole original. Decoding dominates a rendition of a
 * big photo: the entropy decoding of a 12 MP JPEG costs the same whatever the output size. Levels are already
 * oriented and in sRGB (or grey); they feed lossy outputs only (JPEG, WebP, AVIF) — lossless outputs (PNG, GIF) and
 * originals always read the original. Levels up to 2 MP are stored uncompressed, in libvips's own format
 * (`UNCOMPRESSED_LEVEL_MAX_PIXELS`, vips-level.ts), since even decoding a 1000×750 JPEG is a sixth of a rendition's cost;
 * larger ones as JPEG q100 4:2:0. Outputs read from a level are never larger than it and subsample chroma themselves
 * (render.ts: a level is photographic), so a JPEG level's half-resolution chroma is all they can carry; 4:4:4 would
 * cost 55 % more bytes and ≈ 5 ms more decoding at 1000×750 and gain no similarity.
 *
 * Each level of a JPEG is resized from the original itself (by libjpeg's DCT scaling, as a server without levels
 * would decode it), not from the level above: a chain of halvings blurs, and so does a lossy level (other formats:
 * `levelSource`). Measured on
 * the benchmark photos (docs/benchmarks.md, "Delivery bytes"), 853×640 resized from the 1000×750 level before any
 * encoding: SSIM 0.9874 for a halved q95 level, 0.9902 for a direct q95 one, 0.9960 for a direct q100 one, 0.9966
 * from raw pixels — and the JPEG and WebP renditions need that many more bytes to reach the same similarity.
 */

/** Below this many pixels the original decodes quickly enough that a pyramid is not worth its storage. */
const PYRAMID_MIN_PIXELS = 4_000_000;
/** The smallest level still covers `size=s` (short side 320). */
const MIN_LEVEL_SHORT_SIDE = SIZE_PRESETS.s;
const LEVEL_QUALITY = 100;
/**
 * Levels up to this many pixels are stored uncompressed (vips-level.ts): the ones page-sized renditions read, whose
 * decoding is a large share of their cost (a 1000×750 q100 level: ≈ 10 ms of a 40–70 ms rendition). Larger levels
 * stay JPEG: 3 bytes a pixel would weigh more than the original. Levels of a 12 MP photo: 2.2 + 0.55 MB uncompressed,
 * 2.3 MB JPEG; uncompressed levels never exceed 8 MB in all (≤ 2 MP, then quarters).
 */
const UNCOMPRESSED_LEVEL_MAX_PIXELS = 2_000_000;
const NATIVE: ReadonlySet<ImageFormat> = new Set(['jpeg', 'png', 'webp', 'avif']);

export interface PyramidSource extends Dimensions {
  readonly format: ImageFormat;
  readonly frames: number;
}

/** Dimensions of level k (1-based): the original halved k times. Derived, never stored. */
export function levelSize(original: Dimensions, level: number): Dimensions {
  const factor = 2 ** level;
  return {
    width: Math.max(1, Math.round(original.width / factor)),
    height: Math.max(1, Math.round(original.height / factor)),
  };
}

/**
 * How many levels a source gets: 0 for small images, animations, vector art and formats libvips cannot open. A
 * source with transparency gets none either, which `buildPyramid` finds out (the row does not say).
 */
export function pyramidDepth(source: PyramidSource): number {
  if (!NATIVE.has(source.format) || source.frames > 1) return 0;
  if (source.width * source.height < PYRAMID_MIN_PIXELS) return 0;
  let depth = 0;
  while (true) {
    const next = levelSize(source, depth + 1);
    if (Math.min(next.width, next.height) < MIN_LEVEL_SHORT_SIDE) return depth;
    depth += 1;
  }
}

/**
 * The level a rendition is computed from: the smallest whose pixels cover the scaled source the rendition needs
 * (so nothing is enlarged that the original would not have enlarged), or 0 for the original — also when an
 * operation needs the original (`keepsPyramid`: lossless outputs, unresized renditions).
 */
export function pickLevel(original: Dimensions, depth: number, params: RenditionParams): number {
  if (depth <= 0 || params.original || !keepsPyramid(params)) return 0;
  const plan = planRendition(original, params, MAX_REQUESTED_DIMENSION);
  const needWidth = Math.ceil(original.width * plan.scale);
  const needHeight = Math.ceil(original.height * plan.scale);
  for (let level = depth; level >= 1; level--) {
    const size = levelSize(original, level);
    if (size.width >= needWidth && size.height >= needHeight) return level;
  }
  return 0;
}

/** Uncompressed (libvips's format) or JPEG. */
export type LevelEncoding = 'vips' | 'jpeg';

/** How a level of this size is stored; its blob key says so (media-repo.ts). */
export const levelEncoding = (size: Dimensions): LevelEncoding =>
  size.width * size.height <= UNCOMPRESSED_LEVEL_MAX_PIXELS ? 'vips' : 'jpeg';

export interface PyramidLevel extends Dimensions {
  readonly level: number;
  readonly encoding: LevelEncoding;
  readonly data: Buffer;
}

/**
 * Builds every level of a source (`depth` from `pyramidDepth`), each one resized from the original. Runs on the
 * image work queue. Throws `ImageFailureError`.
 */
export function buildPyramid(request: {
  input: ImageSource;
  format: ImageFormat;
  depth: number;
  limits?: ImageLimits;
  queue?: ImageWorkQueue;
}): Promise<PyramidLevel[]> {
  const limits = request.limits ?? DEFAULT_IMAGE_LIMITS;
  return (request.queue ?? sharedImageWorkQueue).run(async () => {
    try {
      return await buildNow(request.input, request.format as NativeFormat, request.depth, limits);
    } catch (error) {
      throw asImageFailure(error);
    }
  });
}

async function buildNow(
  input: ImageSource,
  format: NativeFormat,
  depth: number,
  limits: ImageLimits,
): Promise<PyramidLevel[]> {
  if (depth < 1) return [];
  const facts = await inspectRaster(input, format, limits);
  // Lossy WebP and AVIF renditions keep transparency, which a JPEG level cannot hold: such sources get no levels.
  if (facts.hasAlpha) return [];
  const grey = facts.space === 'b-w' || facts.space === 'grey16';
  const source = await levelSource(input, format, levelSize(facts, 1), limits);
  const levels: PyramidLevel[] = [];
  for (let level = 1; level <= depth; level++) {
    const size = levelSize(facts, level);
    const encoding = levelEncoding(size);
    const image = source()
      .resize(size.width, size.height, { fit: 'fill' })
      .toColorspace(grey ? 'b-w' : 'srgb')
      .timeout({ seconds: limits.timeoutSeconds });
    const data =
      encoding === 'jpeg'
        ? await image.jpeg({ quality: LEVEL_QUALITY, chromaSubsampling: '4:2:0', mozjpeg: false }).toBuffer()
        : await encodeVipsLevel(grey ? image.extractChannel(0) : image);
    levels.push({ level, ...size, encoding, data });
  }
  return levels;
}

/**
 * Where each level is resized from. A JPEG decodes at 1/2, 1/4 and 1/8 scale (DCT scaling), so every level reads the
 * original, each decode cheaper than the last (12 MP: 0.41 s for three levels). The other decoders read every pixel
 * each time (a 12 MP WebP: ≈ 0.65 s per decode, 1.9 s for three levels), so they decode once, to level 1's pixels,
 * and the smaller levels are resized from those: a little softer (SSIM 0.9930 instead of 0.9966 at 853×640 from
 * the 1000×750 level, measured on JPEG photos), for a third of the CPU.
 */
async function levelSource(
  input: ImageSource,
  format: NativeFormat,
  first: Dimensions,
  limits: ImageLimits,
): Promise<() => Sharp> {
  if (format === 'jpeg') return () => sharp(input, decodeOptions(limits, false));
  const { data, info } = await sharp(input, decodeOptions(limits, false))
    .resize(first.width, first.height, { fit: 'fill' })
    .toColorspace('srgb')
    .raw()
    .timeout({ seconds: limits.timeoutSeconds })
    .toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: info.channels };
  return () => sharp(data, { raw });
}
