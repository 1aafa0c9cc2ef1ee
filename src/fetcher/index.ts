export type { FetchFailure } from './fetch-result.ts';
export { type Resolver, systemResolver } from './resolver.ts';
export { SafeFetcher } from './safe-fetcher.ts';
export type { ImageMimeType } from './sniff.ts';
