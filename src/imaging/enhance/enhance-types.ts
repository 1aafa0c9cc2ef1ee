export type EnhancePreset =
  | 'single_product_white_background'
  | 'marketplace_clean_catalog'
  | 'clean_catalog_group';
export type PreservationLevel = 'strict' | 'balanced' | 'creative';
export type ProviderName = 'onnx' | 'http' | 'classical';

export const ENHANCE_PRESETS: readonly EnhancePreset[] = [
  'single_product_white_background',
  'marketplace_clean_catalog',
  'clean_catalog_group',
];
export const PRESERVATION_LEVELS: readonly PreservationLevel[] = ['strict', 'balanced', 'creative'];

export interface EnhanceRequest {
  /** The downloaded source image (JPEG, PNG or WebP). */
  input: Buffer;
  preset: EnhancePreset;
  preservationLevel: PreservationLevel;
  signal?: AbortSignal;
}

export interface EnhanceResult {
  /** JPEG, sRGB, no alpha, square. */
  image: Buffer;
  /** JPEG, 400 px square. */
  thumbnail: Buffer;
  width: number;
  height: number;
  /** The provider whose mask was used. */
  provider: string;
  /** Plain-language notes on what was done or could not be done well. */
  warnings: string[];
}

/** What the HTTP provider needs from the outbound fetcher: one POST, the response in memory. */
export type HttpFetch = (
  url: string,
  body: Buffer,
  contentType: string,
  timeoutMs: number,
) => Promise<{ status: number; contentType: string; body: Buffer }>;

export interface EnhancerOptions {
  /** Tried in order; the first that produces a usable mask wins. */
  providers: ProviderName[];
  /** ISNet-compatible ONNX model; required with `onnx`. */
  modelPath?: string;
  /** Segmentation service; required with `http`. */
  httpUrl?: string;
  /** Required with `http`: the caller wires it to the safe fetcher. */
  httpFetch?: HttpFetch;
  /** Per provider attempt (an ONNX inference, an HTTP request). */
  timeoutMs: number;
  /** Parallel ONNX inferences (each holds a loaded model). */
  onnxConcurrency: number;
  /** Intra-op threads per ONNX inference. */
  onnxThreads: number;
}

export interface Enhancer {
  enhance(request: EnhanceRequest): Promise<EnhanceResult>;
  /** Stops the ONNX workers. Pending inferences fail. */
  close(): Promise<void>;
}
