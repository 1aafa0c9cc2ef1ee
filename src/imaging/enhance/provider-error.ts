/**
 * A segmentation provider could not produce a usable foreground mask. The enhancement worker fails the
 * item with `provider_error` and this message, so messages are written for the API user: no paths, no
 * addresses. What the operator needs (the underlying error) rides along as `cause`.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
}
