import type { PreservationLevel, PresetId } from './presets.ts';
import type { EnhanceWarning } from './warnings.ts';

export type { PreservationLevel } from './presets.ts';
/** A preset id of the registry (`presets.ts`). */
export type EnhancePreset = PresetId;
export type ProviderName = 'onnx' | 'http' | 'classical';
export const SHADOW_HANDLINGS = ['remove', 'synthetic'] as const;
export type ShadowHandling = (typeof SHADOW_HANDLINGS)[number];

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
  /** What was done or could not be done well (`warnings.ts`), at most one per code. */
  warnings: EnhanceWarning[];
}

/**
 * What the HTTP provider needs from the outbound fetcher: one POST, the response in memory. A request
 * that gets no response rejects with a `ProviderFetchError` (its `kind` decides the retry: `timeout` is
 * retried once) or a DOM `TimeoutError` (what `AbortSignal.timeout` gives a plain `fetch`).
 */
export type HttpFetch = (
  url: string,
  body: Buffer,
  contentType: string,
  timeoutMs: number,
) => Promise<{ status: number; contentType: string; body: Buffer }>;

export interface EnhancerOptions {
  /** Tried in order; the first that produces a usable mask wins. */
  providers: ProviderName[];
  /** ONNX model matching `modelProfile`; required with `onnx`. */
  modelPath?: string;
  /** How the ONNX model is fed and read (`model-profiles.ts`); default `isnet`. */
  modelProfile?: string;
  /** Segmentation service; required with `http`. */
  httpUrl?: string;
  /** Required with `http`: the caller wires it to the safe fetcher. */
  httpFetch?: HttpFetch;
  /** Per provider attempt (an ONNX inference, an HTTP request). */
  timeoutMs: number;
  /**
   * Largest enlargement of the product to fill the canvas (LIGHTBOX_ENHANCE_MAX_UPSCALE); more fails the
   * item with a `ProviderError`. Default `DEFAULT_MAX_UPSCALE` (canvas-plan.ts).
   */
  maxUpscale?: number;
  /**
   * What replaces a soft cast shadow the segmenter removed (LIGHTBOX_ENHANCE_SHADOW): nothing (`remove`, the
   * default) or a clean synthetic contact shadow under the product (`synthetic`).
   */
  shadow?: ShadowHandling;
  /** Parallel ONNX inferences (each holds a loaded model). */
  onnxConcurrency: number;
  /** Intra-op threads per ONNX inference. */
  onnxThreads: number;
}

/** Whether a provider can serve: `unknown` until it was tried. Messages are safe for API users; `detail` is for logs. */
export type ProviderHealth =
  | { readonly state: 'unknown' | 'ok' }
  | { readonly state: 'failing'; readonly message: string; readonly detail: string };

/** One provider of the chain and whether it can serve. */
export interface ProviderStatus {
  readonly provider: ProviderName;
  readonly health: ProviderHealth;
}

export interface Enhancer {
  enhance(request: EnhanceRequest): Promise<EnhanceResult>;
  /** Loads what each provider needs (the ONNX session, in its worker) and says which can serve. */
  check(): Promise<ProviderStatus[]>;
  /** The providers' last known health, loading nothing (for /readyz). */
  status(): ProviderStatus[];
  /** Stops the ONNX workers. Pending inferences fail. */
  close(): Promise<void>;
}
