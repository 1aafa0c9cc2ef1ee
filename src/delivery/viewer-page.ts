import { expired } from '../media/media-queries.ts';
import { srcUrl } from '../media/media-urls.ts';
import { mediaView, type UrlBases } from '../media/media-view.ts';
import type { Db } from '../store/store.ts';

/** The output formats a viewer offers besides the original's. */
const VARIANT_FORMATS = ['webp', 'avif', 'jpg', 'png'] as const;

/**
 * What the viewer page `GET /i/{id}` shows (docs/api.md §2.7): public, unexpired media only (null → 404), its
 * media object, the social card (`og:image`) and the size and format variants a visitor may want.
 */
export async function viewerMedia(deps: { db: Db; bases: UrlBases }, id: string) {
  if (!/^[0-9A-Za-z]{8}$/.test(id)) return null;
  const row = await deps.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row?.public || expired(row)) return null;
  const media = mediaView(deps.bases, row);
  return {
    media,
    social: srcUrl(deps.bases.srcBase, row, 'jpg', 'size=social'),
    formats: VARIANT_FORMATS.map((format) => ({ format, url: srcUrl(deps.bases.srcBase, row, format) })),
  };
}

export type ViewerMedia = NonNullable<Awaited<ReturnType<typeof viewerMedia>>>;
