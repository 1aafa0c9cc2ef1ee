// The imaging module's public surface: the rest of the server imports from here only.
export { detectFormat, detectSourceFormat } from './detect-format.ts';
export {
  CORRUPT_MESSAGE,
  type ImageFailure,
  ImageFailureError,
  type ImageFailureReason,
  UNSUPPORTED_MESSAGE,
} from './image-failure.ts';
export {
  CONTENT_TYPES,
  deliveryExtension,
  deliveryFormat,
  IMAGE_FORMATS,
  type ImageFormat,
  OUTPUT_FORMATS,
  type OutputFormat,
  outputExtension,
} from './image-format.ts';
export { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';
export type { ImageSource } from './image-source.ts';
export { ImageWorkQueue, sharedImageWorkQueue } from './image-work-queue.ts';
export { type ImageInfo, type ProbeOptions, type ProbeResult, probeImage } from './probe.ts';
export {
  buildPyramid,
  levelSize,
  PYRAMID_MIN_PIXELS,
  type PyramidLevel,
  pickLevel,
  pyramidDepth,
} from './pyramid.ts';
export { type RenderedImage, type RenderRequest, renderImage } from './render.ts';
export {
  type BoundedRendition,
  boundRendition,
  type CostSource,
  DEFAULT_RENDITION_BUDGET,
  type RenditionBudget,
  type RenditionCost,
  renditionCost,
} from './rendition-cost.ts';
export {
  FITS,
  type Fit,
  MAX_REQUESTED_DIMENSION,
  parseRenditionParams,
  type QueryInput,
  type RenditionParams,
  type RenditionResize,
  renditionKey,
  SIZE_PRESETS,
  type SizePreset,
  SOCIAL_SIZE,
} from './rendition-params.ts';
export { type SanitizedSvg, type SanitizeSvgOptions, sanitizeSvg } from './sanitize-svg.ts';
export { setThreadsPerPipeline } from './sharp-lib.ts';
