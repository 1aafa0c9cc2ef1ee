import { type Config, ConfigError } from '../config/config.ts';
import type { Enhancer } from '../enhancements/enhancer.ts';
import {
  createEnhancer,
  type HttpFetch,
  type ProviderName,
  type ProviderStatus,
} from '../imaging/enhance/index.ts';
import type { Log } from '../lib/log.ts';
import { chooseSegmentationModel, ModelSettingError } from '../models/model-files.ts';

/** What `/readyz` says about a component whose trouble does not make the server unready. */
export interface ComponentHealth {
  readonly state: 'ok' | 'degraded' | 'failing';
  /** Why, for operators (no paths: `/readyz` is public). */
  readonly message?: string;
}

export interface SegmentationSetup {
  /** The configured provider chain (live keys). */
  readonly enhancer: Enhancer;
  /** The built-in pipeline (sandbox keys). */
  readonly sandboxEnhancer: Enhancer;
  /** Set when the chain has a provider that can be unable to serve (onnx). */
  readonly health: (() => ComponentHealth) | null;
}

/**
 * The enhancement pipelines, from LIGHTBOX_ENHANCE_PROVIDERS and the segmentation model settings: with `auto`,
 * `onnx` goes first whenever a model is set or installed in `<data>/models/`. Bad model settings are a
 * `ConfigError` (the server refuses to start, naming them); a model that is set but missing or unloadable is not:
 * the server starts, says so in the log and in `/readyz`, and the classical provider serves.
 */
export async function setUpSegmentation(
  config: Readonly<Config>,
  logger: Log,
  httpFetch: HttpFetch,
): Promise<SegmentationSetup> {
  let choice: Awaited<ReturnType<typeof chooseSegmentationModel>>;
  try {
    choice = await chooseSegmentationModel(
      { model: config.segmentationModel, profile: config.segmentationProfile },
      config.dataDir,
    );
  } catch (error) {
    if (error instanceof ModelSettingError) throw new ConfigError([error.message]);
    throw error;
  }
  const providers: readonly ProviderName[] =
    config.enhanceProviders === 'auto'
      ? choice.kind === 'model'
        ? ['onnx', 'classical']
        : ['classical']
      : config.enhanceProviders;
  const model = choice.kind === 'model' ? choice : undefined;
  if (providers.includes('onnx') && !model) {
    throw new ConfigError([
      'LIGHTBOX_ENHANCE_PROVIDERS includes onnx, but no segmentation model is set or installed: run `lightbox models pull <profile>` or set LIGHTBOX_SEGMENTATION_MODEL',
    ]);
  }
  const onnx = providers.includes('onnx') ? model : undefined;
  logger.info(
    {
      providers,
      ...(onnx ? { model: onnx.path, profile: onnx.profile.name, chosen_by: onnx.how } : {}),
    },
    'segmentation providers',
  );
  if (onnx && !onnx.present) {
    logger.warn(
      { model: onnx.path, profile: onnx.profile.name },
      `segmentation model file not found: items fall back to the next provider (\`lightbox models pull ${onnx.profile.name}\` installs it)`,
    );
  }
  const timeoutMs = config.enhanceTimeoutSeconds * 1000;
  const enhancer = createEnhancer({
    providers: [...providers],
    ...(onnx ? { modelPath: onnx.path, modelProfile: onnx.profile.name } : {}),
    httpUrl: config.enhanceHttpUrl,
    httpFetch,
    timeoutMs,
    maxUpscale: config.enhanceMaxUpscale,
    shadow: config.enhanceShadow,
    onnxConcurrency: config.onnxConcurrency,
    onnxThreads: config.onnxThreads,
  });
  const sandboxEnhancer =
    providers.length === 1 && providers[0] === 'classical'
      ? enhancer
      : createEnhancer({
          providers: ['classical'],
          timeoutMs,
          maxUpscale: config.enhanceMaxUpscale,
          shadow: config.enhanceShadow,
          onnxConcurrency: 1,
          onnxThreads: 1,
        });
  return {
    enhancer,
    sandboxEnhancer,
    health: onnx ? () => chainHealth(enhancer.status()) : null,
  };
}

/** `degraded` while some provider cannot serve and another can; `failing` when none can. */
function chainHealth(statuses: readonly ProviderStatus[]): ComponentHealth {
  const failing = statuses.flatMap((s) =>
    s.health.state === 'failing' ? [`${s.provider}: ${s.health.message}`] : [],
  );
  if (failing.length === 0) return { state: 'ok' };
  const serving = statuses.filter((s) => s.health.state !== 'failing').map((s) => s.provider);
  return serving.length === 0
    ? { state: 'failing', message: `${failing.join('; ')}; no provider can serve: items fail` }
    : { state: 'degraded', message: `${failing.join('; ')}; items use ${serving.join(', ')}` };
}

/**
 * A worker process loads the model at start (its session is kept, as after a first item) so that a model that
 * cannot load is in the log and `/readyz` at once, not at the first item.
 */
export async function warmUpSegmentation(enhancer: Enhancer, logger: Log): Promise<void> {
  const statuses = await enhancer.check();
  for (const { provider, health } of statuses) {
    if (health.state === 'failing') {
      logger.warn(
        { provider, detail: health.detail, readyz: chainHealth(statuses) },
        `segmentation provider ${provider} cannot serve: ${health.message}`,
      );
    } else if (provider === 'onnx' && health.state === 'ok') {
      logger.info({ provider }, 'segmentation model loaded');
    }
  }
}
