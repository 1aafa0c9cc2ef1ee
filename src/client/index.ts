// `lightbox/client`: what the package exports to applications. Imports nothing of the server.
export { LightboxClient, type LightboxClientOptions } from './client.ts';
export { newIdempotencyKey, type WaitOptions } from './enhancement-api.ts';
export {
  type ApiFamily,
  EnhancementApiError,
  type ErrorAction,
  type ErrorUsage,
  HostingApiError,
  LightboxApiError,
  LightboxError,
  LightboxNetworkError,
  LightboxTimeoutError,
  WebhookVerificationError,
} from './errors.ts';
export type { UploadSource } from './multipart.ts';
export { renditionUrl } from './rendition-url.ts';
export { RETRYABLE_CODES } from './transport.ts';
export type * from './types.ts';
export { TERMINAL_STATUSES } from './types.ts';
export { type VerifyWebhookInput, verifyWebhook, webhookSecret } from './webhook-verify.ts';
