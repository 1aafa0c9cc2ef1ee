import type { RenditionCacheTable } from '../store/database.ts';
import type { Store } from '../store/store.ts';

export type Reservation =
  /** A new row: this request computes and owns the slot. */
  | 'reserved'
  /** A row exists (cached, or being computed by another request or process): no slot is taken. */
  | 'exists'
  /** The media's parameterised renditions are at the cap. */
  | 'full';

export type CachedRendition = Pick<RenditionCacheTable, 'blob_key' | 'format' | 'width' | 'height'>;

/**
 * The SQL side of the bounded rendition cache (migration 0007). Every write keeps one lock order —
 * `rendition_cache` row, then `rendition_counts`, then `rendition_totals` — so transactions of concurrent
 * processes never deadlock each other.
 */
export function renditionRows(store: Store) {
  const { db } = store;

  return {
    /**
     * Claims a row for `key` before it is computed. Counted renditions also raise their media's count with a
     * conditional UPDATE (`count < cap`) in the same transaction: on PostgreSQL a racing reservation waits on the
     * count row and re-checks the condition, so the cap holds exactly across processes.
     */
    async reserve(input: { key: string; mediaId: string; counted: boolean; format: string; cap: number }) {
      const now = Date.now();
      return store.transaction(async (t): Promise<Reservation> => {
        const inserted = await t
          .insertInto('rendition_cache')
          .values({
            blob_key: input.key,
            media_id: input.mediaId,
            counted: input.counted ? 1 : 0,
            format: input.format,
            width: 0,
            height: 0,
            bytes: 0,
            last_used_at: now,
          })
          .onConflict((oc) => oc.column('blob_key').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return 'exists';
        if (!input.counted) return 'reserved';
        await t
          .insertInto('rendition_counts')
          .values({ media_id: input.mediaId, count: 0 })
          .onConflict((oc) => oc.column('media_id').doNothing())
          .execute();
        const raised = await t
          .updateTable('rendition_counts')
          .set((eb) => ({ count: eb('count', '+', 1) }))
          .where('media_id', '=', input.mediaId)
          .where('count', '<', input.cap)
          .executeTakeFirst();
        if (Number(raised.numUpdatedRows) > 0) return 'reserved';
        await t.deleteFrom('rendition_cache').where('blob_key', '=', input.key).execute();
        return 'full';
      });
    },

    /** The rendition is in the blob store: its size and dimensions; the total grows by its bytes. */
    async complete(key: string, facts: { bytes: number; width: number; height: number }): Promise<boolean> {
      return store.transaction(async (t) => {
        const updated = await t
          .updateTable('rendition_cache')
          .set({ bytes: facts.bytes, width: facts.width, height: facts.height, last_used_at: Date.now() })
          .where('blob_key', '=', key)
          .where('bytes', '=', 0)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) return false;
        await t
          .updateTable('rendition_totals')
          .set((eb) => ({ bytes: eb('bytes', '+', facts.bytes) }))
          .where('id', '=', 1)
          .execute();
        return true;
      });
    },

    /** Drops a row (failed computation or eviction) and gives back its slot and bytes. True when it existed. */
    async remove(key: string): Promise<boolean> {
      return store.transaction(async (t) => {
        const row = await t
          .deleteFrom('rendition_cache')
          .where('blob_key', '=', key)
          .returning(['media_id', 'counted', 'bytes'])
          .executeTakeFirst();
        if (!row) return false;
        if (row.counted) {
          await t
            .updateTable('rendition_counts')
            .set((eb) => ({ count: eb('count', '-', 1) }))
            .where('media_id', '=', row.media_id)
            .where('count', '>', 0)
            .execute();
        }
        if (Number(row.bytes) > 0) {
          await t
            .updateTable('rendition_totals')
            .set((eb) => ({ bytes: eb('bytes', '-', Number(row.bytes)) }))
            .where('id', '=', 1)
            .execute();
        }
        return true;
      });
    },

    /** Marks renditions used at `at` (batched by the caller: hits do not write one row each). */
    async touch(keys: readonly string[], at: number): Promise<void> {
      if (keys.length === 0) return;
      await db
        .updateTable('rendition_cache')
        .set({ last_used_at: at })
        .where('blob_key', 'in', keys)
        .where('last_used_at', '<', at)
        .execute();
    },

    async totalBytes(): Promise<number> {
      const row = await db
        .selectFrom('rendition_totals')
        .select('bytes')
        .where('id', '=', 1)
        .executeTakeFirst();
      return Number(row?.bytes ?? 0);
    },

    /** The least recently used completed renditions (index `rendition_cache_lru`). */
    async leastRecentlyUsed(limit: number): Promise<{ blob_key: string; bytes: number }[]> {
      return db
        .selectFrom('rendition_cache')
        .select(['blob_key', 'bytes'])
        .where('bytes', '>', 0)
        .orderBy('last_used_at')
        .limit(limit)
        .execute();
    },

    /** Completed renditions of one media (index `rendition_cache_media`; at most the cap plus presets). */
    async cachedOf(mediaId: string): Promise<CachedRendition[]> {
      return db
        .selectFrom('rendition_cache')
        .select(['blob_key', 'format', 'width', 'height'])
        .where('media_id', '=', mediaId)
        .where('bytes', '>', 0)
        .limit(1000)
        .execute();
    },

    /** Rows and counted rows of one media (tests, metrics). */
    async countOf(mediaId: string): Promise<{ rows: number; counted: number }> {
      const rows = await db
        .selectFrom('rendition_cache')
        .select('counted')
        .where('media_id', '=', mediaId)
        .execute();
      return { rows: rows.length, counted: rows.filter((r) => Number(r.counted) === 1).length };
    },
  };
}

export type RenditionRows = ReturnType<typeof renditionRows>;
