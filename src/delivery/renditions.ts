import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { createQueryId } from 'kysely';
import type { BlobStore } from '../blobs/blobs.ts';
import {
  boundRendition,
  CONTENT_TYPES,
  DEFAULT_RENDITION_BUDGET,
  ImageFailureError,
  type ImageFormat,
  type ImageLimits,
  isFreeRendition,
  levelEncoding,
  levelSize,
  type OutputFormat,
  parseRenditionParams,
  pickLevel,
  presetRendition,
  type RenditionBudget,
  type RenditionParams,
  renderImage,
  renditionCost,
  renditionKey,
  SIZE_PRESETS,
} from '../imaging/index.ts';
import type { Log } from '../lib/log.ts';
import type { RateLimiter } from '../limiter/limiter.ts';
import type { MediaChanges } from '../media/media-changes.ts';
import { expired } from '../media/media-queries.ts';
import { levelKey, type MediaRow, renditionsPrefix } from '../media/media-repo.ts';
import { requestPyramid, wantsPyramid } from '../media/pyramid-job.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import { HotRenditions } from './hot-renditions.ts';
import { MediaLookups } from './media-lookups.ts';
import {
  createRenditionLimits,
  createRenditionStats,
  type RenditionLimitSettings,
  type RenditionStats,
} from './rendition-limits.ts';

export interface DeliveryDeps {
  store: Store;
  blobs: BlobStore;
  imageLimits: ImageLimits;
  logger: Log;
  mediaChanges: MediaChanges;
  queue: JobQueue;
  limiter: RateLimiter;
  config: RenditionLimitSettings & { trustedProxies: readonly string[] };
  secrets: { secret: string };
  /** Counters of this process (compose.ts makes one, so tests and metrics can read them). */
  renditionStats?: RenditionStats;
}

export interface DeliveryOptions {
  /** Memory for hot renditions (bytes); 0 turns the memory cache off. */
  hotCacheBytes?: number;
  /** Largest rendition kept in memory; bigger ones are streamed from the blob store. */
  hotEntryBytes?: number;
  /** How long another process's change may go unseen (see media-lookups.ts); 0 reads the row every time. */
  rowTtlMs?: number;
  /** What one rendition may cost (imaging/rendition-cost.ts). */
  budget?: RenditionBudget;
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
  /** Planned output size (after the cost budget). */
  width: number;
  /** The original, a preset or a plain format change: not counted against the per-media cap or client rate. */
  exempt: boolean;
  /** Set when the answer is not what the URL asked for (an unsigned transform got the nearest preset). */
  substitute: string | null;
  /** Not even a minimal rendition fits the cost budget: refused (422). */
  refused: boolean;
  /** The format was chosen from `Accept` (`format=auto`): the answer carries `Vary: Accept`. */
  vary: boolean;
}

export interface RenditionBody {
  size: number;
  body: Buffer | Readable;
  /** Another rendition was served in its place (limit reached): its own type and ETag, and why. */
  instead?: { contentType: string; etag: string; reason: string };
}

/** The client spent its uncached renditions and nothing cached could stand in: 429 with Retry-After. */
export interface RenditionLimited {
  limited: true;
  retryAfter: number;
}

interface Computed {
  data: Buffer;
  width: number;
  height: number;
}

export type MediaLookup = Pick<
  MediaRow,
  'id' | 'token' | 'format' | 'blob_key' | 'expires_at' | 'width' | 'height' | 'frames' | 'levels'
>;

/** Bumped when rendering changes what bytes a rendition key produces, so ETags and caches move on. */
const RENDER_VERSION = '4';
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
 * Serves `src` URLs (docs/api.md §2.6) in two steps. `resolve` checks the capability token and names the rendition
 * (key, type, ETag) from one indexed row read — enough for a 304. `load` gives its bytes: from memory (hot
 * small renditions), from the blob store, or computed once — concurrent misses for one rendition share one
 * computation, and the response does not wait for the blob write (later requests share the computed bytes until
 * the write is done).
 */
export function createRenditionService(deps: DeliveryDeps, options: DeliveryOptions = {}) {
  const inFlight = new Map<string, Promise<Computed>>();
  const budget = options.budget ?? DEFAULT_RENDITION_BUDGET;
  const stats = deps.renditionStats ?? createRenditionStats();
  /** Cache writes that follow responses; `drain` waits for them so a shutdown does not cut one off. */
  const writes = new Set<Promise<void>>();
  const hot = new HotRenditions({
    maxBytes: options.hotCacheBytes ?? DEFAULT_HOT_CACHE_BYTES,
    maxEntryBytes: options.hotEntryBytes ?? DEFAULT_HOT_ENTRY_BYTES,
  });
  const limits = createRenditionLimits({
    store: deps.store,
    blobs: deps.blobs,
    limiter: deps.limiter,
    logger: deps.logger,
    config: deps.config,
    secret: deps.secrets.secret,
    stats,
    hot,
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

  async function compute(media: MediaLookup, params: RenditionParams, level: number): Promise<Computed> {
    stats.computed++;
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
    return rendered;
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
      const key = levelKey(media.id, level, levelEncoding(levelSize(media, level)));
      const rendered = await deps.blobs.withLocalFile(key, (file) =>
        renderImage({
          input: file,
          sourceFormat: 'jpeg',
          params,
          limits: deps.imageLimits,
          plannedSize: { width: media.width, height: media.height },
        }),
      );
      return rendered ?? null;
    } catch (error) {
      if (!(error instanceof ImageFailureError)) throw error;
      deps.logger.warn({ err: error, media_id: media.id, level }, 'pyramid level unreadable');
      return null;
    }
  }

  /** Writes a computed rendition to the blob store; a failure only costs a recomputation later. */
  async function persist(
    media: MediaLookup,
    key: string,
    computed: Computed,
    tracked: boolean,
  ): Promise<void> {
    try {
      try {
        await deps.blobs.put(key, computed.data);
        stats.stored++;
      } finally {
        // The bytes are in the store (or the write failed): later requests read or recompute them, and no longer
        // wait on this computation through the bookkeeping below (row check, cache row, eviction).
        inFlight.delete(key);
      }
      // Deleted (or expired and swept) while rendering: the deletion already removed `renditions/<id>/`, so this
      // late write would be an orphan nothing collects. A deletion after this check collects it itself.
      if (!(await row(existsQuery, media.id))) {
        await deps.blobs.delete(key);
        if (tracked) await limits.rows.remove(key);
        return;
      }
      if (!tracked) return;
      const { data, width, height } = computed;
      if (await limits.rows.complete(key, { bytes: data.length, width, height })) await limits.evict();
    } catch (error) {
      deps.logger.warn({ err: error, media_id: media.id, key }, 'rendition cache write failed');
    }
  }

  /**
   * One computation per key at a time; resolves as soon as the bytes exist, the write follows. `tracked`: the key
   * has a row in the rendition cache (reserved by this request or another one), completed after the write.
   */
  function computeOnce(rendition: Rendition, tracked: boolean, reserved: boolean): Promise<Computed> {
    const { media, key, params, level } = rendition;
    const pending = inFlight.get(key);
    if (pending) return pending;
    const computing = compute(media, params, level);
    inFlight.set(key, computing);
    computing.then(
      (computed) => {
        stats.computedBytes += computed.data.length;
        hot.set(key, computed.data);
        const writing = persist(media, key, computed, tracked).finally(() => {
          writes.delete(writing);
        });
        writes.add(writing);
      },
      (error: unknown) => {
        inFlight.delete(key);
        // Remembered so a repeat is answered at once; its slot is given back.
        if (error instanceof ImageFailureError) limits.rememberFailure(key);
        if (reserved) {
          limits.rows.remove(key).catch((err: unknown) => {
            deps.logger.warn({ err, key }, 'rendition reservation not released');
          });
        }
      },
    );
    return computing;
  }

  /** The bytes of a cached blob (memory, else the blob store), or null when it is not there. */
  async function cachedBody(key: string, head: boolean): Promise<RenditionBody | null> {
    const memory = hot.get(key);
    if (memory) return { size: memory.length, body: memory };
    const cached = await deps.blobs.stat(key);
    if (cached && hot.fits(cached.size)) {
      const data = await deps.blobs.getBuffer(key);
      if (data) {
        hot.set(key, data);
        return { size: data.length, body: data };
      }
    } else if (cached && head) {
      return { size: cached.size, body: Readable.from([]) };
    } else if (cached) {
      const stream = await deps.blobs.get(key);
      if (stream) return { size: cached.size, body: stream };
    }
    return null;
  }

  /** The cached rendition of this media nearest to the one asked for, served in its place (not cached again). */
  async function nearestCached(rendition: Rendition, head: boolean, reason: string) {
    const cached = await limits.rows.cachedOf(rendition.media.id);
    const candidates = limits.nearest(cached, {
      format: rendition.params.format,
      width: rendition.width,
      exclude: rendition.key,
    });
    for (const candidate of candidates.slice(0, 3)) {
      const body = await cachedBody(candidate.blob_key, head);
      if (!body) continue;
      stats.substituted++;
      return {
        ...body,
        instead: {
          contentType: CONTENT_TYPES[candidate.format as OutputFormat] ?? 'application/octet-stream',
          etag: etagOf(candidate.blob_key, rendition.media.token),
          reason,
        },
      };
    }
    return null;
  }

  /** The rendition a URL names, for a media row: signature, cost budget and pyramid level applied. */
  function renditionOf(
    media: MediaLookup,
    file: string,
    ext: string,
    search: string,
    accept: string,
  ): Rendition {
    const source = {
      format: media.format as ImageFormat,
      width: media.width,
      height: media.height,
      frames: media.frames,
    };
    let params = parseRenditionParams({
      ext,
      query: new URLSearchParams(search),
      source: source.format,
      accept,
    });
    // Presets, `srcset` widths and format changes are open to all; other transforms count (and may need a signature).
    const exempt = isFreeRendition(params);
    let substitute: string | null = null;
    if (!exempt && deps.config.signedTransforms && !limits.signed(file, search)) {
      // An unsigned transform gets the nearest preset (presets stay open): an image, never a new cache entry.
      const planned = renditionCost(source, params);
      const short = Math.min(planned.width, planned.height);
      params = presetRendition(params, short <= SIZE_PRESETS.s ? 's' : short <= SIZE_PRESETS.m ? 'm' : 'l');
      substitute = 'unsigned';
    }
    const bounded = boundRendition(source, params, budget);
    if (bounded.ok && bounded.bounded) stats.bounded++;
    if (bounded.ok) params = bounded.params;
    // Computed from a pyramid level, a rendition's bytes differ (slightly) from the original's: another key and
    // ETag, so a strong ETag always stands for one byte sequence.
    const level = pickLevel(media, media.levels, params);
    const key = `${renditionsPrefix(media.id)}${level > 0 ? `l${level}-` : ''}${renditionKey(params)}`;
    return {
      key,
      contentType: CONTENT_TYPES[params.format],
      etag: etagOf(key, media.token),
      svg: params.format === 'svg',
      media,
      params,
      level,
      width: bounded.cost.width,
      exempt: exempt || substitute !== null,
      substitute,
      refused: !bounded.ok,
      vary: params.negotiated === true,
    };
  }

  return {
    /** `accept`: the request's `Accept` header, read only by `format=auto` (`.auto`). */
    async resolve(token: string, file: string, search: string, accept = ''): Promise<Rendition | null> {
      const match = FILE.exec(file);
      if (!match?.[1] || !match[2] || token.length > 64) return null;
      const [, id, ext] = match;
      const media = await lookups.get(id);
      if (!media || expired(media) || !sameToken(media.token, token)) return null;
      return renditionOf(media, `${token}/${file}`, ext, search, accept);
    },

    /**
     * The bytes of a resolved rendition, or null when they cannot be had (source gone or not renderable). With
     * `head`, a rendition streamed from the blob store is not opened: its size is enough.
     */
    async load(
      rendition: Rendition,
      options: { head?: boolean; ip?: string } = {},
    ): Promise<RenditionBody | RenditionLimited | null> {
      const { key, media } = rendition;
      const head = options.head ?? false;
      if (rendition.refused) return null;
      let pending = inFlight.get(key);
      if (pending) stats.joined++;
      else {
        const cached = await cachedBody(key, head);
        if (cached) {
          stats.hits++;
          limits.touch(key);
          return cached;
        }
        if (limits.failedRecently(key)) return null;
        let tracked = true;
        let reserved = false;
        if (!rendition.exempt) {
          const rate = await limits.allowMiss(options.ip ?? 'unknown');
          if (!rate.allowed) {
            const instead = await nearestCached(rendition, head, 'client-rate');
            if (instead) return instead;
            stats.limited++;
            return { limited: true, retryAfter: rate.retryAfter };
          }
        }
        try {
          const reservation = await limits.rows.reserve({
            key,
            mediaId: media.id,
            counted: !rendition.exempt,
            format: rendition.params.format,
            cap: deps.config.renditionsPerMedia,
          });
          if (reservation === 'full') {
            const instead = await nearestCached(rendition, head, 'per-media-cap');
            if (instead) return instead;
            // Every slot is still being computed: the nearest preset stands in (always allowed, cached once).
            const preset = renditionOf(media, '', rendition.key.split('.').pop() ?? 'jpg', 'size=m', '');
            const loaded = await this.load(preset, options);
            if (loaded && !('limited' in loaded)) {
              stats.substituted++;
              return {
                ...loaded,
                instead: loaded.instead ?? {
                  contentType: preset.contentType,
                  etag: preset.etag,
                  reason: 'per-media-cap',
                },
              };
            }
            return loaded;
          }
          reserved = reservation === 'reserved';
        } catch (error) {
          // The cache bookkeeping is down: the image is still served, only not tracked for this key.
          deps.logger.warn({ err: error, key }, 'rendition reservation failed');
          tracked = false;
        }
        const started = inFlight.get(key);
        if (started) stats.joined++;
        pending = started ?? computeOnce(rendition, tracked, reserved);
      }
      try {
        const { data } = await pending;
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

    /** The client IP as Fastify's `request.ip` has it (LIGHTBOX_TRUSTED_PROXIES), for the fast path. */
    trustedProxies: deps.config.trustedProxies,

    /** Resolves when every computation and cache write in progress has finished (for a graceful shutdown). */
    async drain(): Promise<void> {
      while (inFlight.size > 0 || writes.size > 0) {
        await Promise.allSettled([...inFlight.values(), ...writes]);
      }
      await limits.close();
    },

    /** This process's counters (also reachable as `services.renditionStats`). */
    stats,

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
