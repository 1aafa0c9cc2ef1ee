import { decodeForeignImage, isForeignFormat } from './decoders/foreign-image.ts';
import { isLosslessWebp, jpegFrame } from './header-dimensions.ts';
import {
  ALPHA_FORMATS,
  ANIMATED_FORMATS,
  CONTENT_TYPES,
  type ImageFormat,
  type OutputFormat,
} from './image-format.ts';
import { assertWithinLimits, DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';
import { type ImageSource, withByteSource } from './image-source.ts';
import { type ImageWorkQueue, sharedImageWorkQueue } from './image-work-queue.ts';
import { decodeOptions, inspectRaster, type RasterFacts } from './raster-source.ts';
import {
  encoderSettings,
  isOpaqueRendition,
  type PipelineStep,
  planRendition,
  RENDITION_OPERATIONS,
  type RenditionParams,
} from './rendition-operations.ts';
import { MAX_REQUESTED_DIMENSION } from './resize-plan.ts';
import { asImageFailure } from './sharp-failure.ts';
import { type Sharp, sharp } from './sharp-lib.ts';
import { readSanitizedSvg, svgForRaster } from './svg-source.ts';

export interface RenderRequest {
  /** The stored original. */
  readonly input: ImageSource;
  /** As found by probe at upload time. */
  readonly sourceFormat: ImageFormat;
  readonly params: RenditionParams;
  readonly limits?: ImageLimits;
  readonly queue?: ImageWorkQueue;
  /**
   * Set when `input` is a pyramid level of the original (pyramid.ts: our own baseline JPEG, oriented, sRGB or grey,
   * no alpha): the original's display size. The rendition is planned against it, so its dimensions are those the
   * original would give, and the level's facts come from its frame header alone (no metadata pass).
   */
  readonly plannedSize?: { readonly width: number; readonly height: number };
}

export interface RenderedImage {
  readonly data: Buffer;
  readonly contentType: string;
  readonly width: number;
  readonly height: number;
  readonly format: OutputFormat;
}

/** Default qualities; `q` overrides them. Originals get more, since they stand for the uploaded file. */
const QUALITY = { jpeg: 80, webp: 80, avif: 50 } as const;
const ORIGINAL_QUALITY = { jpeg: 90, webp: 90, avif: 65 } as const;
// Largest side each encoder accepts.
const MAX_SIDE: Readonly<Record<OutputFormat, number>> = {
  jpeg: 65_535,
  png: 1_000_000,
  webp: 16_383,
  avif: 16_384,
  gif: 65_535,
  svg: MAX_REQUESTED_DIMENSION,
};
const WHITE = { r: 255, g: 255, b: 255, alpha: 1 };
/** Levels carry no metadata: their frame header sits behind the quantisation tables, well within this. */
const LEVEL_HEADER_BYTES = 4096;
const TRANSPARENT = { r: 255, g: 255, b: 255, alpha: 0 };

/**
 * Produces one rendition. Every output is stripped of metadata (EXIF, GPS, XMP, ICC), auto-oriented and
 * converted to sRGB; PNG output is lossless; animations survive when the output format can hold them.
 * Runs on the image work queue. Throws `ImageFailureError` when the source cannot be rendered.
 */
export function renderImage(request: RenderRequest): Promise<RenderedImage> {
  const queue = request.queue ?? sharedImageWorkQueue;
  return queue.run(async () => {
    try {
      return await renderNow(request, request.limits ?? DEFAULT_IMAGE_LIMITS);
    } catch (error) {
      throw asImageFailure(error);
    }
  });
}

/** The decoded source as a sharp pipeline, with what the encoder step needs to know about it. */
interface OpenedSource {
  readonly image: Sharp;
  readonly width: number;
  readonly height: number;
  readonly hasAlpha: boolean;
  readonly animated: boolean;
  readonly grey: boolean;
  readonly sixteenBit: boolean;
  readonly losslessWebp: boolean;
}

async function renderNow(request: RenderRequest, limits: ImageLimits): Promise<RenderedImage> {
  const { params, sourceFormat, input } = request;
  if (sourceFormat === 'svg') return renderSvg(input, params, limits);
  const opened =
    (request.plannedSize && (await openLevel(input, limits))) ??
    (await openSource(input, sourceFormat, params.format, limits));
  const plan = planRendition(request.plannedSize ?? opened, params, MAX_SIDE[params.format]);
  // Social cards are opaque; otherwise transparency is kept where the format can hold it.
  const keepAlpha = opened.hasAlpha && ALPHA_FORMATS.has(params.format) && !isOpaqueRendition(params);
  const { image } = opened;
  const step: PipelineStep = {
    image,
    params,
    plan,
    animated: opened.animated,
    background: keepAlpha ? TRANSPARENT : WHITE,
  };
  for (const operation of RENDITION_OPERATIONS) operation.raster?.(step);
  if (opened.hasAlpha && !keepAlpha) image.flatten({ background: WHITE });
  return encode(image, opened, params, limits);
}

async function openSource(
  input: ImageSource,
  format: Exclude<ImageFormat, 'svg'>,
  output: OutputFormat,
  limits: ImageLimits,
): Promise<OpenedSource> {
  if (isForeignFormat(format)) {
    const decoded = await decodeForeignImage(format, input, limits);
    if (decoded.kind === 'png') {
      const facts = await inspectRaster(decoded.data, 'png', limits);
      return opened(sharp(decoded.data, decodeOptions(limits, false)), facts, false, false);
    }
    const { width, height, channels, data } = decoded;
    const image = sharp(data, { raw: { width, height, channels }, limitInputPixels: limits.maxPixels });
    return opened(
      image,
      { width, height, hasAlpha: channels === 4, space: 'srgb', depth: 'uchar' },
      false,
      false,
    );
  }
  const facts = await inspectRaster(input, format, limits);
  const animated = facts.frames > 1 && ANIMATED_FORMATS.has(output);
  const losslessWebp =
    format === 'webp' &&
    (await withByteSource(input, async (bytes) => isLosslessWebp(await bytes.read(0, 4096))));
  return opened(sharp(input, decodeOptions(limits, animated)), facts, animated, losslessWebp);
}

/** A pyramid level, described by its frame header; null when that cannot be read (then it is inspected). */
async function openLevel(input: ImageSource, limits: ImageLimits): Promise<OpenedSource | null> {
  const frame = await withByteSource(input, async (bytes) =>
    jpegFrame(await bytes.read(0, LEVEL_HEADER_BYTES)),
  );
  if (frame === null || frame === 'need-more' || (frame.components !== 1 && frame.components !== 3))
    return null;
  assertWithinLimits({ ...frame, frames: 1 }, limits);
  const facts = {
    width: frame.width,
    height: frame.height,
    hasAlpha: false,
    space: frame.components === 1 ? 'b-w' : 'srgb',
    depth: 'uchar',
  } as const;
  return opened(sharp(input, decodeOptions(limits, false)), facts, false, false);
}

function opened(
  image: Sharp,
  facts: Omit<RasterFacts, 'frames'>,
  animated: boolean,
  losslessWebp: boolean,
): OpenedSource {
  const { width, height, hasAlpha, space, depth } = facts;
  const grey = space === 'b-w' || space === 'grey16';
  return { image, width, height, hasAlpha, animated, grey, sixteenBit: depth === 'ushort', losslessWebp };
}

async function renderSvg(
  input: ImageSource,
  params: RenditionParams,
  limits: ImageLimits,
): Promise<RenderedImage> {
  const svg = await readSanitizedSvg(input, limits, params.format !== 'svg');
  if (params.format === 'svg') {
    return {
      data: Buffer.from(svg.svg),
      contentType: CONTENT_TYPES.svg,
      width: svg.width,
      height: svg.height,
      format: 'svg',
    };
  }
  // Vector art has no stored pixel size to keep: even the unparameterised raster is bounded.
  const plan = planRendition(svg, params, Math.min(MAX_SIDE[params.format], MAX_REQUESTED_DIMENSION));
  const image = sharp(svgForRaster(svg, plan), {
    density: 72,
    failOn: 'error',
    // The output size is ours (bounded by the plan), not the uploader's.
    limitInputPixels: MAX_REQUESTED_DIMENSION ** 2,
  });
  const opaque = isOpaqueRendition(params) || !ALPHA_FORMATS.has(params.format);
  const step: PipelineStep = {
    image,
    params,
    plan,
    animated: false,
    background: opaque ? WHITE : TRANSPARENT,
  };
  for (const operation of RENDITION_OPERATIONS) operation.svg?.(step);
  if (opaque) image.flatten({ background: WHITE });
  const source = {
    width: plan.width,
    height: plan.height,
    hasAlpha: true,
    space: 'srgb',
    depth: 'uchar',
  } as const;
  return encode(image, opened(image, source, false, false), params, limits);
}

async function encode(
  image: Sharp,
  source: OpenedSource,
  params: RenditionParams,
  limits: ImageLimits,
): Promise<RenderedImage> {
  const { format } = params;
  // Greyscale stays one channel where the format has it; 16-bit stays 16-bit in PNG (lossless).
  if (format === 'png' && source.sixteenBit) image.toColorspace(source.grey ? 'grey16' : 'rgb16');
  else image.toColorspace(source.grey && (format === 'png' || format === 'jpeg') ? 'b-w' : 'srgb');

  const qualities = params.original ? ORIGINAL_QUALITY : QUALITY;
  const { quality } = encoderSettings(params);
  switch (format) {
    case 'jpeg':
      // mozjpeg: ~15 % smaller but 2.5–6× slower to encode (measured); renditions are computed on request.
      image.jpeg({ quality: quality ?? qualities.jpeg, mozjpeg: false });
      break;
    case 'png':
      image.png({ compressionLevel: 6, adaptiveFiltering: false, palette: false });
      break;
    case 'webp':
      image.webp(
        params.original && source.losslessWebp
          ? { lossless: true, effort: 2 }
          : { quality: quality ?? qualities.webp, effort: 2 },
      );
      break;
    case 'avif':
      // effort 2 vs the default 4: ~15× faster for ~the same size at rendition sizes (measured).
      image.avif({ quality: quality ?? qualities.avif, effort: 2 });
      break;
    case 'gif':
      image.gif({ effort: 3 });
      break;
    case 'svg':
      throw new Error('svg output is only the sanitized original');
  }
  image.timeout({ seconds: limits.timeoutSeconds });
  const { data, info } = await image.toBuffer({ resolveWithObject: true });
  return {
    data,
    contentType: CONTENT_TYPES[format],
    width: info.width,
    height: info.pageHeight ?? info.height,
    format,
  };
}
