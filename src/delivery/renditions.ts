import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { createQueryId } from 'kysely';
import type { BlobStore } from '../blobs/blob-store.ts';
import {
  CONTENT_TYPES,
  ImageFailureError,
  type ImageFormat,
  type ImageLimits,
  parseRenditionParams,
  pickLevel,
  type QueryInput,
  type RenditionParams,
  renderImage,
  renditionKey,
} from '../imaging/index.ts';
import type { Log } from '../lib/log.ts';
import type { MediaChanges } from '../media/media-changes.ts';
import { expired } from '../media/media-queries.ts';
import { levelKey, type MediaRow, renditionsPrefix } from '../media/media-repo.ts';
import { requestPyramid, wantsPyramid } from '../media/pyramid-job.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import { HotRenditions } from './hot-renditions.ts';
import { MediaLookups } from './media-lookups.ts';

export interface DeliveryDeps {
  store: Store;
  blobs: BlobStore;
  imageLimits: ImageLimits;
  logger: Log;
  mediaChanges: MediaChanges;
  queue: JobQueue;
}

export interface DeliveryOptions {
  /** Memory for hot renditions (bytes); 0 turns the memory cache off. */
  hotCacheBytes?: number;
  /** Largest rendition kept in memory; bigger ones are streamed from the blob store. */
  hotEntryBytes?: number;
  /** How long another process's change may go unseen (see media-lookups.ts); 0 reads the row every time. */
  rowTtlMs?: number;
}

/** A `src` request that passed the token check: what the response will be, before any image byte is read. */
export interface Rendition {
  /** The blob key of the rendition: `renditions/<id>/<rendition key>`. */
  key: string;
  contentType: string;
  etag: string;
  /** Set for SVG output: served with a restrictive CSP. */
  svg: boolean;
  /** What `load` needs to compute it. */
  media: MediaLookup;
  params: RenditionParams;
  /** The pyramid level it is computed from; 0 for the original. */
  level: number;
}

export interface RenditionBody {
  size: number;
  body: Buffer | Readable;
}

export type MediaLookup = Pick<
  MediaRow,
  'id' | 'token' | 'format' | 'blob_key' | 'expires_at' | 'width' | 'height' | 'frames' | 'levels'
>;

/** Bumped when rendering changes what bytes a rendition key produces, so ETags and caches move on. */
const RENDER_VERSION = '1';
const FILE = /^([0-9A-Za-z]{8})\.([a-z0-9]{2,5})$/;
const DEFAULT_HOT_CACHE_BYTES = 32 * 1024 * 1024;
const DEFAULT_HOT_ENTRY_BYTES = 1024 * 1024;
const MAX_MEMO_ETAGS = 20_000;
const DEFAULT_ROW_TTL_MS = 1000;
/** Any depth: only asks whether a rendition could come from a level at all (lossy, resized). */
const PROSPECTIVE_DEPTH = 1;
const MAX_ROWS = 20_000;

/** The original is gone (deleted or swept while the request was on its way): the answer is 404. */
class OriginalMissing extends Error {}

/**
 * Serves `src` URLs (API.md §2.6) in two steps. `resolve` checks the capability token and names the rendition
 * (key, type, ETag) from one indexed row read — enough for a 304. `load` gives its bytes: from memory (hot
 * small renditions), from the blob store, or computed once — concurrent misses for one rendition share one
 * computation, and the response does not wait for the blob write (later requests share the computed bytes until
 * the write is done).
 */
export function createRenditionService(deps: DeliveryDeps, options: DeliveryOptions = {}) {
  const inFlight = new Map<string, Promise<Buffer>>();
  /** Cache writes that follow responses; `drain` waits for them so a shutdown does not cut one off. */
  const writes = new Set<Promise<void>>();
  const hot = new HotRenditions({
    maxBytes: options.hotCacheBytes ?? DEFAULT_HOT_CACHE_BYTES,
    maxEntryBytes: options.hotEntryBytes ?? DEFAULT_HOT_ENTRY_BYTES,
  });
  // Compiled once: the row read is on every request, and building the query costs more than running it.
  const lookupQuery = deps.store.db
    .selectFrom('media')
    .select(['id', 'token', 'format', 'blob_key', 'expires_at', 'width', 'height', 'frames', 'levels'])
    .where('id', '=', '')
    .compile();
  const existsQuery = deps.store.db.selectFrom('media').select('id').where('id', '=', '').compile();

  // Hashing per request was ~4 % of a cache hit's CPU; the same few thousand hot keys come back again and again.
  const etags = new Map<string, string>();
  function etagOf(key: string, token: string): string {
    const memo = `${key}\n${token}`;
    let etag = etags.get(memo);
    if (etag === undefined) {
      etag = `"${createHash('sha256').update(`${RENDER_VERSION}:${key}:${token}`).digest('base64url').slice(0, 27)}"`;
      if (etags.size >= MAX_MEMO_ETAGS) etags.clear();
      etags.set(memo, etag);
    }
    return etag;
  }

  const lookups = new MediaLookups((id) => row<MediaLookup>(lookupQuery, id), {
    ttlMs: options.rowTtlMs ?? DEFAULT_ROW_TTL_MS,
    maxEntries: MAX_ROWS,
  });
  deps.mediaChanges.subscribe((id) => lookups.forget(id));

  async function row<T>(query: typeof lookupQuery | typeof existsQuery, id: string): Promise<T | undefined> {
    const result = await deps.store.db.executeQuery({ ...query, queryId: createQueryId(), parameters: [id] });
    return result.rows[0] as T | undefined;
  }

  async function compute(media: MediaLookup, params: RenditionParams, level: number): Promise<Buffer> {
    if (level > 0) {
      const fromLevel = await computeFromLevel(media, level, params);
      if (fromLevel) return fromLevel;
    } else if (pickLevel(media, PROSPECTIVE_DEPTH, params) > 0) backfill(media);
    const rendered = await deps.blobs.withLocalFile(media.blob_key, (file) =>
      renderImage({
        input: file,
        sourceFormat: media.format as ImageFormat,
        params,
        limits: deps.imageLimits,
      }),
    );
    if (!rendered) throw new OriginalMissing(`original ${media.blob_key} is missing`);
    return rendered.data;
  }

  // Media stored before pyramids existed (or whose job was lost) get theirs on the first miss that would use one.
  const backfilled = new Set<string>();
  function backfill(media: MediaLookup): void {
    if (!wantsPyramid(media) || backfilled.has(media.id)) return;
    if (backfilled.size >= MAX_ROWS) backfilled.clear();
    backfilled.add(media.id);
    void requestPyramid(deps, media);
  }

  /** The rendition from a pyramid level, planned against the original; null when the level cannot be read. */
  async function computeFromLevel(media: MediaLookup, level: number, params: RenditionParams) {
    try {
      const rendered = await deps.blobs.withLocalFile(levelKey(media.id, level), (file) =>
        renderImage({
          input: file,
          sourceFormat: 'jpeg',
          params,
          limits: deps.imageLimits,
          plannedSize: { width: media.width, height: media.height },
        }),
      );
      return rendered?.data ?? null;
    } catch (error) {
      if (!(error instanceof ImageFailureError)) throw error;
      deps.logger.warn({ err: error, media_id: media.id, level }, 'pyramid level unreadable');
      return null;
    }
  }

  /** Writes a computed rendition to the blob store; a failure only costs a recomputation later. */
  async function persist(media: MediaLookup, key: string, data: Buffer): Promise<void> {
    try {
      await deps.blobs.put(key, data);
      // Deleted (or expired and swept) while rendering: the deletion already removed `renditions/<id>/`, so this
      // late write would be an orphan nothing collects. A deletion after this check collects it itself.
      if (!(await row(existsQuery, media.id))) await deps.blobs.delete(key);
    } catch (error) {
      deps.logger.warn({ err: error, media_id: media.id, key }, 'rendition cache write failed');
    }
  }

  /** One computation per key at a time; resolves as soon as the bytes exist, the write follows. */
  function computeOnce(rendition: Rendition): Promise<Buffer> {
    const { media, key, params, level } = rendition;
    const pending = inFlight.get(key);
    if (pending) return pending;
    const computing = compute(media, params, level);
    inFlight.set(key, computing);
    computing.then(
      (data) => {
        hot.set(key, data);
        const writing = persist(media, key, data).finally(() => {
          inFlight.delete(key);
          writes.delete(writing);
        });
        writes.add(writing);
      },
      () => inFlight.delete(key),
    );
    return computing;
  }

  return {
    async resolve(token: string, file: string, query: QueryInput): Promise<Rendition | null> {
      const match = FILE.exec(file);
      if (!match?.[1] || !match[2] || token.length > 64) return null;
      const [, id, ext] = match;
      const media = await lookups.get(id);
      if (!media || expired(media) || !sameToken(media.token, token)) return null;

      const params = parseRenditionParams({ ext, query, source: media.format as ImageFormat });
      // Computed from a pyramid level, a rendition's bytes differ (slightly) from the original's: another key and
      // ETag, so a strong ETag always stands for one byte sequence.
      const level = pickLevel(media, media.levels, params);
      const key = `${renditionsPrefix(media.id)}${level > 0 ? `l${level}-` : ''}${renditionKey(params)}`;
      const etag = etagOf(key, media.token);
      return {
        key,
        contentType: CONTENT_TYPES[params.format],
        etag,
        svg: params.format === 'svg',
        media,
        params,
        level,
      };
    },

    /**
     * The bytes of a resolved rendition, or null when they cannot be had (source gone or not renderable). With
     * `head`, a rendition streamed from the blob store is not opened: its size is enough.
     */
    async load(rendition: Rendition, options: { head?: boolean } = {}): Promise<RenditionBody | null> {
      const { key, media } = rendition;
      const memory = hot.get(key);
      if (memory) return { size: memory.length, body: memory };
      let pending = inFlight.get(key);
      if (!pending) {
        const cached = await deps.blobs.stat(key);
        if (cached && hot.fits(cached.size)) {
          const data = await deps.blobs.getBuffer(key);
          if (data) {
            hot.set(key, data);
            return { size: data.length, body: data };
          }
        } else if (cached && options.head) {
          return { size: cached.size, body: Readable.from([]) };
        } else if (cached) {
          const stream = await deps.blobs.get(key);
          if (stream) return { size: cached.size, body: stream };
        }
        pending = computeOnce(rendition);
      }
      try {
        const data = await pending;
        return { size: data.length, body: data };
      } catch (error) {
        if (error instanceof OriginalMissing) return null;
        if (error instanceof ImageFailureError) {
          deps.logger.warn({ err: error, media_id: media.id, key }, 'rendition failed');
          return null;
        }
        throw error;
      }
    },

    /** Resolves when every computation and cache write in progress has finished (for a graceful shutdown). */
    async drain(): Promise<void> {
      while (inFlight.size > 0 || writes.size > 0) {
        await Promise.allSettled([...inFlight.values(), ...writes]);
      }
    },

    /** Computations (and their cache writes) in progress, for tests and metrics. */
    get inFlight() {
      return inFlight.size;
    },
    /** Renditions and bytes held in memory. */
    get hot() {
      return { entries: hot.size, bytes: hot.bytes };
    },
  };
}

export type RenditionService = ReturnType<typeof createRenditionService>;

function sameToken(stored: string, given: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
