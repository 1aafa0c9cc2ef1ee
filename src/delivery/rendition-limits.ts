import { timingSafeEqual } from 'node:crypto';
import type { BlobStore } from '../blobs/blobs.ts';
import type { Log } from '../lib/log.ts';
import type { RateLimiter } from '../limiter/limiter.ts';
import { SIGNATURE_PARAM, srcSignature, srcSigningKey } from '../media/media-urls.ts';
import type { Store } from '../store/store.ts';
import type { HotRenditions } from './hot-renditions.ts';
import { type CachedRendition, type RenditionRows, renditionRows } from './rendition-rows.ts';

/** Counters of the bounded rendition cache, for tests and metrics (one object per process, from compose.ts). */
export interface RenditionStats {
  /** Requests answered from the cache (memory or blob store). */
  hits: number;
  /** Renditions computed (cache misses that ran an image pipeline). */
  computed: number;
  /** Misses that waited for a computation another request had started. */
  joined: number;
  /** Bytes of the renditions computed. */
  computedBytes: number;
  /** Requests answered from the negative cache: the rendition failed a moment ago, nothing was tried. */
  negativeHits: number;
  /** Renditions scaled down to stay within the cost budget. */
  bounded: number;
  /** Requests answered with another cached rendition or a preset (per-media cap, client rate, unsigned). */
  substituted: number;
  /** Requests refused with 429 (client rate spent and nothing cached to offer). */
  limited: number;
  /** Renditions evicted from the cache (least recently used past LIGHTBOX_RENDITION_CACHE_MB). */
  evicted: number;
  /** Computed renditions written to the blob store (later requests read them there, or from memory). */
  stored: number;
}

export const createRenditionStats = (): RenditionStats => ({
  hits: 0,
  computed: 0,
  joined: 0,
  computedBytes: 0,
  negativeHits: 0,
  bounded: 0,
  substituted: 0,
  limited: 0,
  evicted: 0,
  stored: 0,
});

export interface RenditionLimitSettings {
  renditionsPerMedia: number;
  renditionCacheMb: number;
  uncachedRenditionsPerMinute: number;
  signedTransforms: boolean;
}

export interface RenditionLimitDeps {
  store: Store;
  blobs: BlobStore;
  limiter: RateLimiter;
  logger: Log;
  config: RenditionLimitSettings;
  secret: string;
  stats: RenditionStats;
  hot: HotRenditions;
}

/** How long a failed rendition is answered 404 without another try, and how many such keys are remembered. */
const NEGATIVE_TTL_MS = 10 * 60_000;
const MAX_NEGATIVE = 10_000;
/** Last-used times are written in batches; a rendition is re-touched at most this often. */
const TOUCH_FLUSH_MS = 5_000;
const TOUCH_GRANULARITY_MS = 60_000;
const MAX_TOUCH_MEMO = 20_000;
const EVICT_BATCH = 100;

/**
 * The bounds on cache misses (issue 13): per-client rate of uncached renditions (the limiter port, shared across
 * processes on Redis), per-media cap and LRU eviction (SQL rows), the negative cache, and `src` signatures.
 */
export function createRenditionLimits(deps: RenditionLimitDeps) {
  const rows: RenditionRows = renditionRows(deps.store);
  const signingKey = srcSigningKey(deps.secret);
  const capBytes = deps.config.renditionCacheMb * 1024 * 1024;
  const rule = { limit: deps.config.uncachedRenditionsPerMinute, periodMs: 60_000 };
  const negative = new Map<string, number>();
  const pendingTouches = new Set<string>();
  const touchedAt = new Map<string, number>();
  let flushing: Promise<void> | null = null;
  let evicting: Promise<void> | null = null;
  const timer = setInterval(() => void flushTouches(), TOUCH_FLUSH_MS);
  timer.unref();

  async function flushTouches(): Promise<void> {
    if (flushing) return flushing;
    if (pendingTouches.size === 0) return;
    const keys = [...pendingTouches];
    pendingTouches.clear();
    flushing = (async () => {
      try {
        for (let at = 0; at < keys.length; at += 500) await rows.touch(keys.slice(at, at + 500), Date.now());
      } catch (error) {
        deps.logger.warn({ err: error }, 'rendition last-used update failed');
      } finally {
        flushing = null;
      }
    })();
    return flushing;
  }

  async function evictNow(): Promise<void> {
    await flushTouches();
    for (let round = 0; round < 100; round++) {
      let total = await rows.totalBytes();
      if (total <= capBytes) return;
      const oldest = await rows.leastRecentlyUsed(EVICT_BATCH);
      if (oldest.length === 0) return;
      for (const row of oldest) {
        if (total <= capBytes) return;
        if (!(await rows.remove(row.blob_key))) continue;
        total -= Number(row.bytes);
        deps.hot.delete(row.blob_key);
        // The row is gone first: a blob left behind by a failed delete is only an uncounted file, never a row
        // pointing at nothing; the next request for it recomputes it.
        await deps.blobs.delete(row.blob_key).catch((error: unknown) => {
          deps.logger.warn({ err: error, key: row.blob_key }, 'evicted rendition blob not deleted');
        });
        deps.stats.evicted++;
      }
    }
  }

  return {
    rows,
    settings: deps.config,

    /** Whether the query carries a valid signature (only asked when signed transforms are on). */
    signed(file: string, search: string): boolean {
      const given = new URLSearchParams(search).get(SIGNATURE_PARAM);
      if (!given) return false;
      const expected = Buffer.from(srcSignature(signingKey, file, search));
      const actual = Buffer.from(given);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },

    /** True when `key` failed recently: answer at once, try nothing. */
    failedRecently(key: string): boolean {
      const until = negative.get(key);
      if (until === undefined) return false;
      if (until < Date.now()) {
        negative.delete(key);
        return false;
      }
      deps.stats.negativeHits++;
      return true;
    },

    rememberFailure(key: string): void {
      negative.delete(key);
      if (negative.size >= MAX_NEGATIVE) {
        const oldest = negative.keys().next().value;
        if (oldest !== undefined) negative.delete(oldest);
      }
      negative.set(key, Date.now() + NEGATIVE_TTL_MS);
    },

    /** One uncached rendition for this client; fails closed (a limiter that cannot decide counts as spent). */
    async allowMiss(ip: string): Promise<{ allowed: boolean; retryAfter: number }> {
      try {
        const decision = await deps.limiter.hit(`src-miss:${ip}`, rule);
        return { allowed: decision.allowed, retryAfter: decision.retryAfter };
      } catch (error) {
        deps.logger.error({ err: error }, 'rate limiter unavailable for src');
        return { allowed: false, retryAfter: 1 };
      }
    },

    /** A cache hit: its last-used time moves (written in batches, at most once a minute per key). */
    touch(key: string): void {
      const now = Date.now();
      const last = touchedAt.get(key);
      if (last !== undefined && now - last < TOUCH_GRANULARITY_MS) return;
      if (touchedAt.size >= MAX_TOUCH_MEMO) touchedAt.clear();
      touchedAt.set(key, now);
      pendingTouches.add(key);
      if (pendingTouches.size >= 500) void flushTouches();
    },

    /** Evicts least recently used renditions while the cache is over its size; one run at a time. */
    evict(): Promise<void> {
      evicting ??= evictNow()
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'rendition eviction failed'))
        .finally(() => {
          evicting = null;
        });
      return evicting;
    },

    /** The cached rendition of this media closest to the wanted size: same format first, then any. */
    nearest(
      cached: readonly CachedRendition[],
      want: { format: string; width: number; exclude: string },
    ): CachedRendition[] {
      const usable = cached.filter((row) => row.blob_key !== want.exclude && row.width > 0);
      const distance = (row: CachedRendition) =>
        (row.format === want.format ? 0 : 1e9) +
        (row.width >= want.width ? row.width - want.width : (want.width - row.width) * 2);
      return usable.sort((a, b) => distance(a) - distance(b));
    },

    async close(): Promise<void> {
      clearInterval(timer);
      await flushTouches();
      await evicting;
    },
  };
}
