import { sharedImageWorkQueue } from '../image-work-queue.ts';
import { DEFAULT_MAX_UPSCALE, upscaleRefusal } from './canvas-plan.ts';
import { classicalProvider } from './classical-provider.ts';
import type {
  EnhanceRequest,
  EnhanceResult,
  Enhancer,
  EnhancerOptions,
  ProviderHealth,
  ProviderStatus,
} from './enhance-types.ts';
import { SHADOW_HANDLINGS } from './enhance-types.ts';
import { EnhanceWorkers } from './enhance-workers.ts';
import { httpProvider } from './http-provider.ts';
import { modelProfile } from './model-profiles.ts';
import { onnxProvider } from './onnx-provider.ts';
import { isPreservationLevel, isPresetId } from './presets.ts';
import { type ForegroundSelector, segmentWithChain } from './provider-chain.ts';
import { ProviderError } from './provider-error.ts';
import type { ImageWorkRunner, SegmentationProvider } from './segmentation-provider.ts';
import { warning } from './warnings.ts';
import { decodeWorkingImage } from './working-image.ts';

/**
 * The enhancement pipeline: decode → segment (providers in order) → compose the catalog image.
 * Throws `TypeError` for options the config should have refused. `enhance` rejects with `ProviderError`
 * when no provider produced a usable mask, with `ImageFailureError` when the source cannot be decoded,
 * and with the signal's reason when aborted.
 */
export function createEnhancer(options: EnhancerOptions): Enhancer {
  // Sharp and pixel loops take a slot on the shared image work queue; waiting on a model or a remote
  // service does not hold one.
  const runImageWork: ImageWorkRunner = (job) => sharedImageWorkQueue.run(job);
  const maxUpscale = options.maxUpscale ?? DEFAULT_MAX_UPSCALE;
  if (!(maxUpscale >= 1)) throw new TypeError('maxUpscale must be ≥ 1');
  if (options.shadow !== undefined && !SHADOW_HANDLINGS.includes(options.shadow)) {
    throw new TypeError(`unknown shadow handling: ${String(options.shadow)}`);
  }
  // Every pixel loop after decoding runs in these threads, whichever provider made the mask: the event loop
  // only decodes (sharp, off-thread too), copies buffers and waits.
  const workers = new EnhanceWorkers();
  const providers = buildProviders(options, workers, runImageWork);
  const select: ForegroundSelector = (mask, keep, signal) =>
    runImageWork(() => workers.selectForeground(mask, keep, signal));

  return {
    async enhance(request: EnhanceRequest): Promise<EnhanceResult> {
      const { preset, preservationLevel, signal } = request;
      if (!isPresetId(preset)) throw new TypeError(`unknown preset: ${String(preset)}`);
      if (!isPreservationLevel(preservationLevel)) {
        throw new TypeError(`unknown preservation level: ${String(preservationLevel)}`);
      }
      signal?.throwIfAborted();
      const image = await runImageWork(() => decodeWorkingImage(request.input));
      const chosen = await segmentWithChain(providers, image, preset, select, signal);
      signal?.throwIfAborted();
      const { box } = chosen.selection;
      const tooSmall = upscaleRefusal(preset, Math.max(box.width, box.height), maxUpscale);
      if (tooSmall) throw new ProviderError(tooSmall);
      const shadowRemoved = chosen.segmentation.warnings.some((w) => w.code === 'shadow_removed');
      const composed = await runImageWork(() =>
        workers.compose(
          {
            image,
            mask: chosen.segmentation.mask,
            selection: chosen.selection,
            preset,
            preservationLevel,
            syntheticShadow: shadowRemoved && options.shadow === 'synthetic',
          },
          signal,
        ),
      );
      return {
        image: composed.image,
        thumbnail: composed.thumbnail,
        width: composed.width,
        height: composed.height,
        provider: chosen.provider,
        warnings: [
          ...chosen.segmentation.warnings.map((w) =>
            w.code === 'shadow_removed' && options.shadow === 'synthetic' ? SHADOW_REPLACED : w,
          ),
          ...composed.warnings,
        ],
      };
    },
    check: () => Promise.all(providers.map(async (p) => providerStatus(p, (await p.check?.()) ?? OK))),
    status: () => providers.map((p) => providerStatus(p, p.health?.() ?? OK)),
    async close() {
      await Promise.all(providers.map((p) => p.close?.()));
      await workers.close();
    },
  };
}

const OK: ProviderHealth = { state: 'ok' };
const SHADOW_REPLACED = warning(
  'shadow_removed',
  "The photo's cast shadow was removed and a clean soft shadow drawn under the product instead.",
);
const providerStatus = (p: SegmentationProvider, health: ProviderHealth): ProviderStatus => ({
  provider: p.name,
  health,
});

function buildProviders(
  options: EnhancerOptions,
  workers: EnhanceWorkers,
  runImageWork: ImageWorkRunner,
): SegmentationProvider[] {
  if (options.providers.length === 0) throw new TypeError('at least one enhancement provider is needed');
  if (!(options.timeoutMs > 0)) throw new TypeError('timeoutMs must be > 0');
  return options.providers.map((name): SegmentationProvider => {
    switch (name) {
      case 'classical':
        return classicalProvider({ timeoutMs: options.timeoutMs, workers }, runImageWork);
      case 'onnx':
        if (!options.modelPath) throw new TypeError('the onnx provider needs modelPath');
        return onnxProvider(
          {
            modelPath: options.modelPath,
            profile: modelProfile(options.modelProfile),
            concurrency: options.onnxConcurrency,
            threads: options.onnxThreads,
            timeoutMs: options.timeoutMs,
          },
          runImageWork,
        );
      case 'http':
        if (!options.httpUrl || !options.httpFetch)
          throw new TypeError('the http provider needs httpUrl and httpFetch');
        return httpProvider(
          { url: options.httpUrl, fetch: options.httpFetch, timeoutMs: options.timeoutMs },
          runImageWork,
        );
      default:
        throw new TypeError(`unknown enhancement provider: ${String(name satisfies never)}`);
    }
  });
}
