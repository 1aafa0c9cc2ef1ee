import { sharp } from '../sharp-lib.ts';
import type { HttpFetch } from './enhance-types.ts';
import { maskFromResponse } from './mask-from-response.ts';
import type { RgbImage } from './pixel-buffers.ts';
import { ProviderError } from './provider-error.ts';
import { ProviderFetchError } from './provider-fetch-error.ts';
import type { ImageWorkRunner, SegmentationProvider } from './segmentation-provider.ts';

export interface HttpProviderOptions {
  readonly url: string;
  readonly fetch: HttpFetch;
  /** Per attempt; a 5xx or a timeout is retried once, so the provider takes at most twice this. */
  readonly timeoutMs: number;
}

/** An injected fetch that ignores its timeout still cannot hold the item longer than this beyond it. */
const HANG_GRACE_MS = 1000;

type Attempt =
  | { readonly kind: 'response'; status: number; contentType: string; body: Buffer }
  | { readonly kind: 'timeout' };

/**
 * A remote segmentation service: the upright working image is POSTed as JPEG; the answer is a
 * single-channel mask or a cut-out with alpha (PNG). Requests go through the injected fetch, which the
 * caller wires to the safe fetcher.
 */
export function httpProvider(
  options: HttpProviderOptions,
  runImageWork: ImageWorkRunner,
): SegmentationProvider {
  return {
    name: 'http',
    async segment(image, signal) {
      const upload = await runImageWork(() => encodeUpload(image));
      let attempt = await post(options, upload, signal);
      let retried = false;
      if (attempt.kind === 'timeout' || attempt.status >= 500) {
        retried = true;
        attempt = await post(options, upload, signal);
      }
      const twice = retried ? ' (tried twice)' : '';
      if (attempt.kind === 'timeout') {
        throw new ProviderError(
          `the segmentation service did not answer within ${Math.round(options.timeoutMs / 100) / 10} s${twice}`,
        );
      }
      const { status } = attempt;
      if (status >= 500)
        throw new ProviderError(`the segmentation service failed with HTTP ${status}${twice}`);
      if (status >= 400)
        throw new ProviderError(`the segmentation service refused the image with HTTP ${status}`);
      if (status < 200 || status > 299) {
        throw new ProviderError(`the segmentation service answered HTTP ${status} instead of a mask`);
      }
      const mask = await runImageWork(() =>
        maskFromResponse(attempt.contentType, attempt.body, image.width, image.height),
      );
      return { mask, warnings: [] };
    },
  };
}

async function post(options: HttpProviderOptions, upload: Buffer, signal?: AbortSignal): Promise<Attempt> {
  signal?.throwIfAborted();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const hang = new Promise<Attempt>((resolve, reject) => {
    timer = setTimeout(
      () => resolve({ kind: 'timeout' }),
      options.timeoutMs + Math.min(HANG_GRACE_MS, options.timeoutMs),
    );
    onAbort = () => reject(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const request = options.fetch(options.url, upload, 'image/jpeg', options.timeoutMs).then(
    (response): Attempt => ({ kind: 'response', ...response }),
    (error: unknown): Attempt => {
      if (isTimeout(error)) return { kind: 'timeout' };
      // The injected fetch's words may name addresses: the item gets a plain message, the logs the cause.
      throw new ProviderError('the segmentation service could not be reached', { cause: error });
    },
  );
  try {
    return await Promise.race([request, hang]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Decided on the failure's type, never its wording: the safe fetcher's `timeout` kind, or the DOM
 * `TimeoutError` that `AbortSignal.timeout` gives a plain `fetch`.
 */
function isTimeout(error: unknown): boolean {
  if (error instanceof ProviderFetchError) return error.kind === 'timeout';
  return error instanceof DOMException && error.name === 'TimeoutError';
}

/** JPEG q95 4:4:4: a tenth of a PNG's bytes, and the service sees the photo as the pipeline does. */
function encodeUpload(image: RgbImage): Promise<Buffer> {
  const { width, height } = image;
  return sharp(image.data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
    .toBuffer();
}
