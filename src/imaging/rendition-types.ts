import type { Dimensions } from './header-dimensions.ts';
import type { ImageFormat, OutputFormat } from './image-format.ts';
import type { RenditionResize, ResizePlan } from './resize-plan.ts';
import type { Sharp } from './sharp-lib.ts';

// The vocabulary of the rendition operation registry (rendition-operations.ts), in a file of its own so that
// entries can live in their own files without an import cycle.

/** Where `cover` keeps the image when it crops: an edge or corner, or a smart strategy (libvips' names). */
export type CropPosition =
  | 'centre'
  | 'north'
  | 'northeast'
  | 'east'
  | 'southeast'
  | 'south'
  | 'southwest'
  | 'west'
  | 'northwest'
  | 'attention'
  | 'entropy';

/** One rendition, canonical: two requests that must produce the same bytes produce equal params. */
export interface RenditionParams {
  readonly format: OutputFormat;
  /** Null: the source's own dimensions. */
  readonly resize: RenditionResize | null;
  /** Only for lossy formats; null means the format's default, `auto` the smallest output above a similarity. */
  readonly quality: number | 'auto' | null;
  /** No parameters and the source's delivery format: what the original's `src` URL serves. */
  readonly original: boolean;
  // A new operation adds an optional field (absent = neutral), so params of existing URLs stay equal.
  /** `cover` crops keep this part (absent: the centre; `crop` is `cover` with `attention`). */
  readonly gravity?: Exclude<CropPosition, 'centre' | 'attention'>;
  /** Gaussian blur sigma in output pixels. */
  readonly blur?: number;
  /** Padding colour of `pad` and `social`, lower-case hex `rrggbb` or `rrggbbaa`. */
  readonly background?: string;
  /** The format was chosen from the request's `Accept` header (`format=auto`): the answer varies with it. */
  readonly negotiated?: boolean;
}

/** What an operation reads from a delivery request. */
export interface RenditionRequest {
  /** The URL's extension, lower case, without the dot. */
  readonly ext: string;
  readonly source: ImageFormat;
  /** The first string value of a query parameter; undefined when absent or not a string. */
  readonly param: (name: string) => string | undefined;
  /** The request's `Accept` header ('' when absent): what `format=auto` chooses from. */
  readonly accept: string;
}

/** A colour sharp takes for padding and flattening. */
export interface Rgba {
  readonly r: number;
  readonly g: number;
  readonly b: number;
  readonly alpha: number;
}

/** One sharp pipeline being built, handed to every operation in registry order (before flatten and encode). */
export interface PipelineStep {
  readonly image: Sharp;
  readonly params: RenditionParams;
  /** The output geometry (`planRendition`). On a rasterized SVG, librsvg already drew it at this size. */
  readonly plan: ResizePlan;
  /** Every frame goes through the pipeline (GIF/WebP output of an animation). */
  readonly animated: boolean;
  /** Padding: `bg`, else transparent where the output keeps the source's alpha, white otherwise. */
  readonly background: Rgba;
}

/** What operations tell the encoder (render.ts `encode`); unset = the format's default. */
export interface EncoderSettings {
  readonly quality?: number | 'auto';
}

export interface RenditionOperation {
  readonly name: string;
  /** The query parameters it reads (`format` also reads the extension). */
  readonly query: readonly string[];
  /** Reads its parameters into `params`. Invalid values are ignored (left neutral), never an error. */
  readonly parse: (request: RenditionRequest, params: RenditionParams) => RenditionParams;
  /** After every parse, the output format known: drops what that format cannot use. */
  readonly normalize?: (params: RenditionParams) => RenditionParams;
  /**
   * True when it changes the pixels (its value is not neutral): the rendition is then not the original, and an
   * SVG is rasterized.
   */
  readonly transforms: (params: RenditionParams) => boolean;
  /**
   * Its part of the cache key, concatenated in registry order: `w800-h0-cover` + `-q80` + `.jpeg`. Must be `''`
   * when neutral (and otherwise start with `-`), or every cached rendition changes its key.
   */
  readonly key: (params: RenditionParams) => string;
  /** Steps on a decoded raster (after orientation, before flatten and encoding). */
  readonly raster?: (step: PipelineStep) => void;
  /** Steps on a rasterized SVG (already drawn at the planned size; before flatten and encoding). */
  readonly svg?: (step: PipelineStep) => void;
  readonly encoder?: (params: RenditionParams) => EncoderSettings;
  /** True when the output is opaque whatever the source (padded and flattened on white). */
  readonly opaque?: (params: RenditionParams) => boolean;
  /** The output geometry. One entry (resize) owns it; without it the output is the source's size. */
  readonly plan?: (source: Dimensions, params: RenditionParams, maxSide: number) => ResizePlan;
  /** Over the cost budget: the same rendition at `factor` of the size it was planned at (`planned`). */
  readonly scale?: (params: RenditionParams, planned: Dimensions, factor: number) => RenditionParams;
  /** The cheapest rendition of the same kind: what remains is the size-independent cost (the decode). */
  readonly minimal?: (params: RenditionParams) => RenditionParams;
  /** Estimated CPU it adds per output megapixel (ms, worst case; `rendition-cost.ts`). */
  readonly msPerOutputMp?: (params: RenditionParams) => number;
  /** False when the rendition must be computed from the original, not from a pyramid level (`pyramid.ts`). */
  readonly keepsPyramid: (params: RenditionParams) => boolean;
  /**
   * True when its value is one anybody may ask for without counting against the uncached-rendition limits or a
   * transform signature (presets, format changes); absent: free only when neutral (`transforms` false).
   */
  readonly free?: (params: RenditionParams) => boolean;
}
