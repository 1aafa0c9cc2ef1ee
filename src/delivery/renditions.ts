import { createHash, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/blob-store.ts';
import {
  CONTENT_TYPES,
  type ImageFormat,
  type ImageLimits,
  ImageFailureError,
  parseRenditionParams,
  type QueryInput,
  renderImage,
  renditionKey,
} from '../imaging/index.ts';
import type { Log } from '../lib/log.ts';
import { expired } from '../media/media-queries.ts';
import { renditionsPrefix } from '../media/media-repo.ts';
import type { Store } from '../store/store.ts';

export interface DeliveryDeps {
  store: Store;
  blobs: BlobStore;
  imageLimits: ImageLimits;
  logger: Log;
}

export interface Rendition {
  contentType: string;
  etag: string;
  size: number;
  /** Set for SVG output: served with a restrictive CSP. */
  svg: boolean;
  open(): Promise<Readable | Buffer>;
}

/** Bumped when rendering changes what bytes a rendition key produces, so ETags and caches move on. */
const RENDER_VERSION = '1';
const FILE = /^([0-9A-Za-z]{8})\.([a-z0-9]{2,5})$/;

/**
 * Serves `src` URLs (API.md §2.6): checks the capability token, then answers from the rendition cache in the
 * blob store or computes the rendition once — concurrent misses for one rendition share one computation.
 */
export function createRenditionService(deps: DeliveryDeps) {
  const inFlight = new Map<string, Promise<{ size: number; data: Buffer }>>();

  async function compute(
    blobKey: string,
    cacheKey: string,
    format: ImageFormat,
    params: ReturnType<typeof parseRenditionParams>,
  ) {
    const rendered = await deps.blobs.withLocalFile(blobKey, (file) =>
      renderImage({ input: file, sourceFormat: format, params, limits: deps.imageLimits }),
    );
    if (!rendered) throw new Error(`original ${blobKey} is missing`);
    await deps.blobs.put(cacheKey, rendered.data);
    return { size: rendered.data.length, data: rendered.data };
  }

  return {
    async resolve(token: string, file: string, query: QueryInput): Promise<Rendition | null> {
      const match = FILE.exec(file);
      if (!match?.[1] || !match[2] || token.length > 64) return null;
      const [, id, ext] = match;
      const media = await deps.store.db
        .selectFrom('media')
        .select(['id', 'token', 'format', 'blob_key', 'expires_at'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (!media || expired(media) || !sameToken(media.token, token)) return null;

      const params = parseRenditionParams({ ext, query, source: media.format as ImageFormat });
      const key = `${renditionsPrefix(media.id)}${renditionKey(params)}`;
      const etag = `"${createHash('sha256').update(`${RENDER_VERSION}:${key}:${media.token}`).digest('base64url').slice(0, 27)}"`;
      const base = { contentType: CONTENT_TYPES[params.format], etag, svg: params.format === 'svg' };

      const cached = await deps.blobs.stat(key);
      if (cached) {
        return {
          ...base,
          size: cached.size,
          open: async () => (await deps.blobs.get(key)) ?? Buffer.alloc(0),
        };
      }
      let pending = inFlight.get(key);
      if (!pending) {
        pending = compute(media.blob_key, key, media.format as ImageFormat, params).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      try {
        const { size, data } = await pending;
        return { ...base, size, open: async () => data };
      } catch (error) {
        if (error instanceof ImageFailureError) {
          deps.logger.warn({ err: error, media_id: media.id, key }, 'rendition failed');
          return null;
        }
        throw error;
      }
    },
    /** Concurrent computations in progress (for tests and metrics). */
    get inFlight() {
      return inFlight.size;
    },
  };
}

export type RenditionService = ReturnType<typeof createRenditionService>;

function sameToken(stored: string, given: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
