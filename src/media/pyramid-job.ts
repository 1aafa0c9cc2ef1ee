import { Type } from '@sinclair/typebox';
import type { BlobStore } from '../blobs/blobs.ts';
import {
  buildPyramid,
  ImageFailureError,
  type ImageFormat,
  type ImageLimits,
  pyramidDepth,
} from '../imaging/index.ts';
import type { Log } from '../lib/log.ts';
import { type JobHandlers, type JobQueue, jobSpec } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import type { MediaChanges } from './media-changes.ts';
import { findMedia, levelKey, type MediaRow } from './media-repo.ts';

export const PYRAMID_JOB = jobSpec({
  name: 'media.pyramid',
  payload: Type.Object({ media_id: Type.String({ pattern: '^[0-9A-Za-z]{8}$' }) }),
  maxAttempts: 3,
});
/** `media.levels` of a source that gets no levels (transparency, or the build failed for good). */
export const NO_LEVELS = -1;

export interface PyramidJobDeps {
  store: Store;
  blobs: BlobStore;
  imageLimits: ImageLimits;
  logger: Log;
  mediaChanges: MediaChanges;
}

/**
 * Builds the pyramid levels of a large still after upload (imaging/pyramid.ts) so uncached renditions decode a
 * reduced copy. Idempotent: levels are written before the row says they exist, and a row deleted meanwhile gets
 * its late levels removed again (its deletion may already have swept `renditions/<id>/`).
 */
export function pyramidHandlers(deps: PyramidJobDeps): JobHandlers<typeof PYRAMID_JOB> {
  return {
    [PYRAMID_JOB.name]: {
      async handle({ media_id: id }) {
        const media = await findMedia(deps.store.db, id);
        if (media?.levels !== 0) return;
        const depth = pyramidDepth({ ...media, format: media.format as ImageFormat });
        if (depth === 0) return;
        let levels: Awaited<ReturnType<typeof buildPyramid>> | null;
        try {
          levels = await deps.blobs.withLocalFile(media.blob_key, (file) =>
            buildPyramid({
              input: file,
              format: media.format as ImageFormat,
              depth,
              limits: deps.imageLimits,
            }),
          );
        } catch (error) {
          // Renditions read the original then, as they would have anyway; retrying would fail the same way.
          if (error instanceof ImageFailureError) {
            deps.logger.warn({ err: error, media_id: id }, 'pyramid not built');
            await settle(deps, id, NO_LEVELS);
            return;
          }
          throw error;
        }
        if (!levels) return;
        if (levels.length === 0) {
          await settle(deps, id, NO_LEVELS);
          return;
        }
        for (const level of levels)
          await deps.blobs.put(levelKey(id, level.level, level.encoding), level.data);
        if (!(await settle(deps, id, levels.length))) {
          for (const level of levels) await deps.blobs.delete(levelKey(id, level.level, level.encoding));
          return;
        }
        // An uncompressed level rebuilt where an earlier release stored a JPEG one (migration 0015): drop that blob.
        for (const level of levels) {
          if (level.encoding === 'vips') await deps.blobs.delete(levelKey(id, level.level, 'jpeg'));
        }
      },
    },
  };
}

/**
 * Records the outcome once (a second run of the job finds it settled). False only when the media is gone (deleted
 * while the levels were built): its deletion may already have swept `renditions/<id>/`.
 */
async function settle(deps: PyramidJobDeps, id: string, levels: number): Promise<boolean> {
  const updated = await deps.store.db
    .updateTable('media')
    .set({ levels })
    .where('id', '=', id)
    .where('levels', '=', 0)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) {
    deps.mediaChanges.notify(id);
    return true;
  }
  return (await findMedia(deps.store.db, id)) !== undefined;
}

/** Whether this media could get levels and has none yet. */
export function wantsPyramid(
  media: Pick<MediaRow, 'format' | 'width' | 'height' | 'frames' | 'levels'>,
): boolean {
  return media.levels === 0 && pyramidDepth({ ...media, format: media.format as ImageFormat }) > 0;
}

/** Asks for a pyramid when the media can get one and has none; a queue outage only costs delivery speed. */
export async function requestPyramid(
  deps: { queue: JobQueue; logger: Log },
  media: Pick<MediaRow, 'id' | 'format' | 'width' | 'height' | 'frames' | 'levels'>,
): Promise<void> {
  if (!wantsPyramid(media)) return;
  try {
    await deps.queue.enqueue(PYRAMID_JOB, { media_id: media.id }, { dedupeKey: media.id });
  } catch (error) {
    deps.logger.warn({ err: error, media_id: media.id }, 'pyramid not requested');
  }
}
