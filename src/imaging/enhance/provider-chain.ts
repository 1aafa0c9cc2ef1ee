import type { EnhancePreset } from './enhance-types.ts';
import type { ForegroundSelection } from './foreground-selection.ts';
import type { AlphaMask, RgbImage } from './pixel-buffers.ts';
import { PRESETS, type PresetSpec } from './presets.ts';
import { ProviderError } from './provider-error.ts';
import type { Segmentation, SegmentationProvider } from './segmentation-provider.ts';

/** A mask that keeps more than this share of the image did not find a product: it found the photo. */
const MAX_KEPT_SHARE = 0.98;

/**
 * Object selection (`selectForeground` of foreground-selection.ts), run where the caller wants it: the enhancer
 * runs it in its worker threads (enhance-workers.ts), so that no provider's mask is labelled on the event loop.
 */
export type ForegroundSelector = (
  mask: AlphaMask,
  keep: PresetSpec['keep'],
  signal?: AbortSignal,
) => Promise<ForegroundSelection | null>;

export interface ChainResult {
  readonly provider: string;
  readonly segmentation: Segmentation;
  readonly selection: ForegroundSelection;
}

/**
 * Tries each provider in order; one that refuses, fails or returns an unusable mask gives way to the
 * next. When none succeeds, the last provider's message is the item's error (every failure is attached
 * as the cause, for the logs). An abort stops the chain at once and is rethrown as is.
 */
export async function segmentWithChain(
  providers: readonly SegmentationProvider[],
  image: RgbImage,
  preset: EnhancePreset,
  select: ForegroundSelector,
  signal?: AbortSignal,
): Promise<ChainResult> {
  const failures: ProviderError[] = [];
  for (const provider of providers) {
    signal?.throwIfAborted();
    try {
      const segmentation = await provider.segment(image, signal);
      const selection = await select(segmentation.mask, PRESETS[preset].keep, signal);
      if (!selection) throw new ProviderError(`${provider.name} segmentation found no product in the photo`);
      if (selection.keptArea > image.width * image.height * MAX_KEPT_SHARE) {
        throw new ProviderError(`${provider.name} segmentation marked the whole photo as product`);
      }
      return { provider: provider.name, segmentation, selection };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      failures.push(
        error instanceof ProviderError
          ? error
          : new ProviderError(`${provider.name} segmentation failed`, { cause: error }),
      );
    }
  }
  const last = failures.at(-1);
  if (!last) throw new ProviderError('no segmentation provider is configured');
  throw new ProviderError(last.message, {
    cause: failures.length > 1 ? new AggregateError(failures) : last.cause,
  });
}
