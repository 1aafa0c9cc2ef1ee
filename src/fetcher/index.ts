export {
  AddressPolicy,
  type AddressVerdict,
  classifyAddress,
  type RefusalCategory,
} from './address-policy.ts';
export {
  FETCH_FAILURE_REASONS,
  type FetchFailure,
  type FetchFailureReason,
  type FetchResult,
  type FetchSuccess,
  type FileFetchResult,
  type FileFetchSuccess,
  isSuccessStatus,
  type UrlCheckResult,
  type UrlCheckSuccess,
} from './fetch-result.ts';
export { parseCidr } from './ip-address.ts';
export { type ResolvedAddress, type Resolver, systemResolver } from './resolver.ts';
export {
  type BufferedFetchOptions,
  type CheckUrlOptions,
  type FetchOptions,
  SafeFetcher,
  type SafeFetcherOptions,
} from './safe-fetcher.ts';
export { type ImageMimeType, SNIFFABLE_TYPES, sniffImageType } from './sniff.ts';
export { MAX_URL_LENGTH } from './url-rules.ts';
