export { createEnhancer } from './create-enhancer.ts';
export type {
  Enhancer,
  EnhancerOptions,
  HttpFetch,
  ProviderName,
  ProviderStatus,
} from './enhance-types.ts';
export { ProviderFetchError } from './provider-fetch-error.ts';
