import { cropPosition, svgAlignment } from './crop-gravity.ts';
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
import { type ImageSource, readWhole, sourceSize, withByteSource } from './image-source.ts';
import { type ImageWorkQueue, sharedImageWorkQueue } from './image-work-queue.ts';
import { encodeLossy } from './lossy-output.ts';
import { encodePng, strippedPng } from './png-output.ts';
import { decodeOptions, inspectRaster, type RasterFacts } from './raster-source.ts';
import {
  encoderSettings,
  flattenColour,
  isOpaqueRendition,
  type PipelineStep,
  paddingColour,
  planRendition,
  RENDITION_OPERATIONS,
  type RenditionParams,
} from './rendition-operations.ts';
import { MAX_REQUESTED_DIMENSION, type ResizePlan } from './resize-plan.ts';
import { asImageFailure } from './sharp-failure.ts';
import { type Sharp, sharp } from './sharp-lib.ts';
import { readSanitizedSvg, svgForRaster } from './svg-source.ts';
import { isVipsLevel, levelPipeline, type VipsLevelHeader, vipsLevelHeader } from './vips-level.ts';

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

// Largest side each encoder accepts.
const MAX_SIDE: Readonly<Record<OutputFormat, number>> = {
  jpeg: 65_535,
  png: 1_000_000,
  webp: 16_383,
  avif: 16_384,
  gif: 65_535,
  svg: MAX_REQUESTED_DIMENSION,
};
/** Levels carry no metadata: their frame header sits behind the quantisation tables, well within this. */
const LEVEL_HEADER_BYTES = 4096;

/**
 * Produces one rendition. Every output is stripped of metadata (EXIF, GPS, XMP, ICC), auto-oriented and
 * converted to sRGB; PNG output is lossless; animations survive when the output format can hold them.
 * Runs on the image work queue. Throws `ImageFailureError` when the source cannot be rendered.
 */
export async function renderImage(request: RenderRequest): Promise<RenderedImage> {
  const queue = request.queue ?? sharedImageWorkQueue;
  const limits = request.limits ?? DEFAULT_IMAGE_LIMITS;
  try {
    // A level's header is read before taking a slot of the queue, which is for CPU work: under load the event loop
    // turns of that read would leave the slot's core idle.
    const head = request.plannedSize ? await readLevelHead(request.input) : null;
    return await queue.run(() => renderNow(request, limits, head));
  } catch (error) {
    throw asImageFailure(error);
  }
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
  /**
   * Photographic content, as far as the source tells: camera formats and lossy files saved with subsampled chroma.
   * Lossy outputs subsample chroma (4:2:0) for those and keep it whole (4:4:4) for the rest — graphics, text and
   * screenshots, whose coloured edges 4:2:0 smears.
   */
  readonly photographic: boolean;
  /** A palette PNG original's file size (see `encodePng`); undefined for anything else. */
  readonly paletteBytes?: number;
}

async function renderNow(
  request: RenderRequest,
  limits: ImageLimits,
  levelHead: LevelHead | null,
): Promise<RenderedImage> {
  const { params, sourceFormat, input } = request;
  if (sourceFormat === 'svg') return renderSvg(input, params, limits);
  const opened =
    (levelHead && openLevel(input, levelHead, limits)) ??
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
    background: paddingColour(params, keepAlpha),
  };
  for (const operation of RENDITION_OPERATIONS) operation.raster?.(step);
  if (opened.hasAlpha && !keepAlpha) image.flatten({ background: flattenColour(params) });
  const rendered = await encode(image, opened, params, limits, plan);
  return sourceFormat === 'png' && params.original ? smallerOriginal(rendered, input) : rendered;
}

/**
 * The unparameterised PNG never weighs more than the stored file: its pixels with the metadata chunks dropped are
 * served when that is smaller than our encoding of them (an optimised PNG upload often is).
 */
async function smallerOriginal(rendered: RenderedImage, input: ImageSource): Promise<RenderedImage> {
  const stripped = strippedPng(await readWhole(input));
  return stripped && stripped.length < rendered.data.length ? { ...rendered, data: stripped } : rendered;
}

async function openSource(
  input: ImageSource,
  format: Exclude<ImageFormat, 'svg'>,
  output: OutputFormat,
  limits: ImageLimits,
): Promise<OpenedSource> {
  if (isForeignFormat(format)) {
    const decoded = await decodeForeignImage(format, input, limits);
    // HEIC is a camera format; BMP and ICO hold drawings and icons.
    const photographic = format === 'heic';
    if (decoded.kind === 'png') {
      const facts = await inspectRaster(decoded.data, 'png', limits);
      return opened(sharp(decoded.data, decodeOptions(limits, false)), facts, { photographic });
    }
    const { width, height, channels, data } = decoded;
    const image = sharp(data, { raw: { width, height, channels }, limitInputPixels: limits.maxPixels });
    return opened(
      image,
      { width, height, hasAlpha: channels === 4, space: 'srgb', depth: 'uchar' },
      {
        photographic,
      },
    );
  }
  const facts = await inspectRaster(input, format, limits);
  const animated = facts.frames > 1 && ANIMATED_FORMATS.has(output);
  const losslessWebp =
    format === 'webp' &&
    (await withByteSource(input, async (bytes) => isLosslessWebp(await bytes.read(0, 4096))));
  return opened(sharp(input, decodeOptions(limits, animated)), facts, {
    animated,
    losslessWebp,
    photographic: isPhotographic(format, facts, losslessWebp),
    ...(format === 'png' && facts.palette ? { paletteBytes: await sourceSize(input) } : {}),
  });
}

function isPhotographic(format: ImageFormat, facts: RasterFacts, losslessWebp: boolean): boolean {
  if (format === 'jpeg') return facts.chromaSubsampling !== '4:4:4';
  if (format === 'webp') return !losslessWebp;
  return format === 'avif' || format === 'heic';
}

/** The first bytes of a pyramid level, and its size. */
interface LevelHead {
  readonly head: Buffer;
  readonly size: number;
}

const readLevelHead = (input: ImageSource): Promise<LevelHead> =>
  withByteSource(input, async (bytes) => ({
    head: await bytes.read(0, LEVEL_HEADER_BYTES),
    size: bytes.size,
  }));

/**
 * A pyramid level, uncompressed (vips-level.ts) or JPEG, described by its header; null when that cannot be read
 * (then it is inspected).
 */
function openLevel(input: ImageSource, { head, size }: LevelHead, limits: ImageLimits): OpenedSource | null {
  if (isVipsLevel(head)) return openVipsLevel(input, vipsLevelHeader(head, size), limits);
  const frame = jpegFrame(head);
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
  // Levels are made of large stills (≥ 4 MP): photos.
  return opened(sharp(input, decodeOptions(limits, false)), facts, { photographic: true });
}

function openVipsLevel(
  input: ImageSource,
  header: VipsLevelHeader | null,
  limits: ImageLimits,
): OpenedSource | null {
  if (!header) return null;
  const { width, height, channels } = header;
  assertWithinLimits({ width, height, frames: 1 }, limits);
  // A file is opened by libvips itself (mapped, never copied into the JavaScript heap).
  const image = Buffer.isBuffer(input)
    ? levelPipeline(input, { limitInputPixels: limits.maxPixels })
    : sharp(input, { failOn: 'error', limitInputPixels: limits.maxPixels });
  const space = channels === 1 ? 'b-w' : 'srgb';
  return opened(image, { width, height, hasAlpha: false, space, depth: 'uchar' }, { photographic: true });
}

function opened(
  image: Sharp,
  facts: Omit<RasterFacts, 'frames'>,
  kind: { animated?: boolean; losslessWebp?: boolean; photographic: boolean; paletteBytes?: number },
): OpenedSource {
  const { width, height, hasAlpha, space, depth } = facts;
  const grey = space === 'b-w' || space === 'grey16';
  return {
    image,
    width,
    height,
    hasAlpha,
    animated: kind.animated ?? false,
    grey,
    sixteenBit: depth === 'ushort',
    losslessWebp: kind.losslessWebp ?? false,
    photographic: kind.photographic,
    ...(kind.paletteBytes === undefined ? {} : { paletteBytes: kind.paletteBytes }),
  };
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
  const image = sharp(svgForRaster(svg, plan, svgAlignment(cropPosition(params, false))), {
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
    background: paddingColour(params, !opaque),
  };
  for (const operation of RENDITION_OPERATIONS) operation.svg?.(step);
  if (opaque) image.flatten({ background: flattenColour(params) });
  const source = {
    width: plan.width,
    height: plan.height,
    hasAlpha: true,
    space: 'srgb',
    depth: 'uchar',
  } as const;
  return encode(image, opened(image, source, { photographic: false }), params, limits, plan);
}

async function encode(
  image: Sharp,
  source: OpenedSource,
  params: RenditionParams,
  limits: ImageLimits,
  plan: ResizePlan,
): Promise<RenderedImage> {
  const { format } = params;
  // Greyscale stays one channel where the format has it; 16-bit stays 16-bit in PNG (lossless).
  if (format === 'png' && source.sixteenBit) image.toColorspace(source.grey ? 'grey16' : 'rgb16');
  else image.toColorspace(source.grey && (format === 'png' || format === 'jpeg') ? 'b-w' : 'srgb');
  image.timeout({ seconds: limits.timeoutSeconds });

  if (format === 'svg') throw new Error('svg output is only the sanitized original');
  if (format === 'png') {
    // Only a reduction of a palette original is held to the original's bytes (an enlargement has more pixels).
    const reduced = plan.width * plan.height < source.width * source.height;
    const png = await encodePng(image, {
      sixteenBit: source.sixteenBit,
      pixels: plan.width * plan.height,
      timeoutSeconds: limits.timeoutSeconds,
      ...(reduced && source.paletteBytes !== undefined ? { paletteSourceBytes: source.paletteBytes } : {}),
    });
    return { ...png, contentType: CONTENT_TYPES.png, format };
  }
  const { data, width, height } = await encodeLossy(image, {
    format,
    quality: encoderSettings(params).quality,
    original: params.original,
    losslessWebp: source.losslessWebp,
    animated: source.animated,
    chromaSubsampling: source.photographic ? '4:2:0' : '4:4:4',
    pixels: plan.width * plan.height,
    timeoutSeconds: limits.timeoutSeconds,
  });
  return { data, contentType: CONTENT_TYPES[format], width, height, format };
}
