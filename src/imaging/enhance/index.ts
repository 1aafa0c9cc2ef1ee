export { createEnhancer } from './create-enhancer.ts';
export type {
  EnhancePreset,
  EnhanceRequest,
  EnhanceResult,
  Enhancer,
  EnhancerOptions,
  HttpFetch,
  PreservationLevel,
  ProviderName,
} from './enhance-types.ts';
export { ProviderError } from './provider-error.ts';
