import { decodeForeignImage, isForeignFormat } from './decoders/foreign-image.ts';
import { detectFormat, SNIFF_BYTES } from './detect-format.ts';
import { type ImageFailure, unsupported } from './image-failure.ts';
import type { ImageFormat } from './image-format.ts';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';
import { type ImageSource, withByteSource } from './image-source.ts';
import { type ImageWorkQueue, sharedImageWorkQueue } from './image-work-queue.ts';
import { decodeOptions, inspectRaster } from './raster-source.ts';
import { planResize } from './resize-plan.ts';
import { asImageFailure } from './sharp-failure.ts';
import { type Sharp, sharp } from './sharp-lib.ts';
import { readSanitizedSvg, svgForRaster } from './svg-source.ts';

/** What the media object records about an accepted upload. */
export interface ImageInfo {
  readonly format: ImageFormat;
  /** Display size: after EXIF orientation (and HEIF rotation); one frame of an animation. */
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  readonly hasAlpha: boolean;
  /** Size of the file as uploaded. */
  readonly bytes: number;
}

export type ProbeResult = ({ readonly ok: true } & ImageInfo) | ImageFailure;

export interface ProbeOptions {
  readonly limits?: ImageLimits;
  readonly queue?: ImageWorkQueue;
}

// The verification decode renders this small: every byte is still decoded (JPEG and WebP scale while
// decoding, so this is also the cheapest full pass), but almost nothing is allocated or encoded.
const VERIFY_SIZE = 64;

/**
 * Decides whether an uploaded file is an image the server accepts: type from the magic bytes, dimensions
 * and frame count from the header checked against the limits before anything is decoded, then one full
 * decode to prove the data is complete. Never throws for a bad file (returns the refusal instead); throws
 * only when the file cannot be read at all (ENOENT, EIO…), which is the server's problem.
 */
export async function probeImage(source: ImageSource, options: ProbeOptions = {}): Promise<ProbeResult> {
  const limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
  const queue = options.queue ?? sharedImageWorkQueue;
  try {
    const { format, bytes } = await withByteSource(source, async (file) => ({
      format: detectFormat(await file.read(0, SNIFF_BYTES)),
      bytes: file.size,
    }));
    if (format === null) throw unsupported();
    const facts = await queue.run(() => verify(source, format, limits));
    return { ok: true, format, bytes, ...facts };
  } catch (error) {
    return asImageFailure(error).toFailure();
  }
}

type Facts = Pick<ImageInfo, 'width' | 'height' | 'frames' | 'hasAlpha'>;

async function verify(source: ImageSource, format: ImageFormat, limits: ImageLimits): Promise<Facts> {
  if (format === 'svg') {
    const svg = await readSanitizedSvg(source, limits, true);
    // librsvg must be able to draw what the sanitizer kept.
    const plan = planResize(
      svg,
      { kind: 'box', width: VERIFY_SIZE, height: VERIFY_SIZE, fit: 'scale-down' },
      VERIFY_SIZE,
    );
    await decodeAll(sharp(svgForRaster(svg, plan), { density: 72, failOn: 'error' }), limits);
    return { width: svg.width, height: svg.height, frames: 1, hasAlpha: true };
  }
  if (isForeignFormat(format)) {
    const decoded = await decodeForeignImage(format, source, limits);
    if (decoded.kind === 'raw') {
      return { width: decoded.width, height: decoded.height, frames: 1, hasAlpha: decoded.channels === 4 };
    }
    const facts = await inspectRaster(decoded.data, 'png', limits);
    await decodeAll(sharp(decoded.data, decodeOptions(limits, false)), limits);
    return { width: facts.width, height: facts.height, frames: 1, hasAlpha: facts.hasAlpha };
  }
  const facts = await inspectRaster(source, format, limits);
  await decodeAll(sharp(source, decodeOptions(limits, facts.frames > 1)), limits);
  return { width: facts.width, height: facts.height, frames: facts.frames, hasAlpha: facts.hasAlpha };
}

async function decodeAll(image: Sharp, limits: ImageLimits): Promise<void> {
  await image
    .resize(VERIFY_SIZE, VERIFY_SIZE, { fit: 'inside', withoutEnlargement: true })
    .timeout({ seconds: limits.timeoutSeconds })
    .raw()
    .toBuffer();
}
