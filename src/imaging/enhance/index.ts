export { createEnhancer } from './create-enhancer.ts';
export type {
  Enhancer,
  EnhancerOptions,
  HttpFetch,
  ProviderName,
  ProviderStatus,
} from './enhance-types.ts';
export { ProviderFetchError } from './provider-fetch-error.ts';
export { ENHANCE_WARNING_CODES, ENHANCE_WARNINGS } from './warnings.ts';
