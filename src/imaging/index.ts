// The imaging module's public surface: the rest of the server imports from here only.
export { ImageFailureError } from './image-failure.ts';
export {
  CONTENT_TYPES,
  deliveryExtension,
  IMAGE_FORMATS,
  type ImageFormat,
  type OutputFormat,
} from './image-format.ts';
export { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';
export { probeImage } from './probe.ts';
export {
  buildPyramid,
  type LevelEncoding,
  levelEncoding,
  levelSize,
  pickLevel,
  pyramidDepth,
} from './pyramid.ts';
export { renderImage } from './render.ts';
export {
  boundRendition,
  DEFAULT_RENDITION_BUDGET,
  type RenditionBudget,
  renditionCost,
} from './rendition-cost.ts';
export {
  isFreeRendition,
  presetRendition,
  type RenditionParams,
} from './rendition-operations.ts';
export { parseRenditionParams, RENDITION_QUERY_NAMES, renditionKey } from './rendition-params.ts';
export { SIZE_PRESETS, SRCSET_WIDTHS } from './resize-plan.ts';
