import type { ProviderHealth, ProviderName } from './enhance-types.ts';
import type { AlphaMask, RgbImage } from './pixel-buffers.ts';
import type { EnhanceWarning } from './warnings.ts';

export interface Segmentation {
  /** Same size as the image it was computed for. */
  readonly mask: AlphaMask;
  readonly warnings: readonly EnhanceWarning[];
}

/**
 * Turns a photo into a foreground mask. A provider that cannot do a good job throws `ProviderError`
 * (a refusal or a failure: the chain moves on to the next provider either way).
 */
export interface SegmentationProvider {
  readonly name: ProviderName;
  segment(image: RgbImage, signal?: AbortSignal): Promise<Segmentation>;
  /** Loads what it needs to serve (the ONNX session) and says whether it can. Absent: it always can. */
  check?(): Promise<ProviderHealth>;
  /** The last known health, loading nothing. Absent: always `ok`. */
  health?(): ProviderHealth;
  close?(): Promise<void>;
}

/** Runs CPU-heavy image work in a bounded slot (the image work queue). */
export type ImageWorkRunner = <T>(job: () => Promise<T>) => Promise<T>;
