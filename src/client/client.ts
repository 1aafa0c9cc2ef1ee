import { EnhancementsApi } from './enhancement-api.ts';
import { importUrl, KeysApi, MediaApi, upload, usage } from './hosting-api.ts';
import type { UploadSource } from './multipart.ts';
import { renditionUrl } from './rendition-url.ts';
import { Transport, type TransportOptions } from './transport.ts';
import type { CreatedMedia, ImportInput, RenditionOptions, UploadInput, Usage } from './types.ts';

export type LightboxClientOptions = TransportOptions;

/**
 * A typed client for both API families of a Lightbox server (docs/client.md). Errors are `HostingApiError` or
 * `EnhancementApiError` (the family's code, `action`, `usage`, `retry_after`, `errors`, `request_id`); retryable
 * failures are retried, honouring `Retry-After` and reusing the idempotency key.
 */
export class LightboxClient {
  /** Hosting: `POST /v1/keys`. */
  readonly keys: KeysApi;
  /** Hosting: list, get, update, delete (single and bulk). */
  readonly media: MediaApi;
  /** Enhancement: presets, create, get, list, wait. */
  readonly enhancements: EnhancementsApi;
  private readonly transport: Transport;

  constructor(options: LightboxClientOptions) {
    this.transport = new Transport(options);
    this.keys = new KeysApi(this.transport);
    this.media = new MediaApi(this.transport);
    this.enhancements = new EnhancementsApi(this.transport);
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** Uploads a file path, bytes or a Blob (`onProgress` reports bytes sent). Without a key: anonymous upload. */
  upload(source: UploadSource, input?: UploadInput): Promise<CreatedMedia> {
    return upload(this.transport, source, input);
  }

  /** Has the server fetch an image from a public URL. */
  import(input: ImportInput): Promise<CreatedMedia> {
    return importUrl(this.transport, input);
  }

  /** Plan, quotas, storage and credits of the key's account. */
  usage(options?: { signal?: AbortSignal }): Promise<Usage> {
    return usage(this.transport, options);
  }

  /** A rendition's URL from a media object or its `src` (no request is made). */
  renditionUrl(media: string | { src: string }, options?: RenditionOptions): string {
    return renditionUrl(media, options);
  }
}
