import { expired } from '../media/media-queries.ts';
import { srcUrl } from '../media/media-urls.ts';
import { mediaView, type UrlBases } from '../media/media-view.ts';
import type { Db } from '../store/store.ts';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** `GET /i/{id}` (docs/api.md §2.7): public media only; og:image is the social rendition. Null → 404. */
export async function viewerPage(deps: { db: Db; bases: UrlBases }, id: string): Promise<string | null> {
  if (!/^[0-9A-Za-z]{8}$/.test(id)) return null;
  const row = await deps.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row?.public || expired(row)) return null;
  const media = mediaView(deps.bases, row);
  const social = srcUrl(deps.bases.srcBase, row, 'jpg', 'size=social');
  const title = escapeHtml(media.name);
  const meta = [
    ['og:type', 'website'],
    ['og:title', media.name],
    ['og:url', media.url],
    ['og:image', social],
    ['og:image:width', '1200'],
    ['og:image:height', '630'],
    ['twitter:card', 'summary_large_image'],
    ['twitter:title', media.name],
    ['twitter:image', social],
  ]
    .map(([property, content]) =>
      property?.startsWith('twitter:')
        ? `<meta name="${property}" content="${escapeHtml(content ?? '')}">`
        : `<meta property="${property}" content="${escapeHtml(content ?? '')}">`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title>
${meta}
<style>html,body{margin:0;height:100%;background:#111}main{display:flex;align-items:center;justify-content:center;height:100%}img{max-width:100%;max-height:100%}</style>
</head><body><main><img src="${escapeHtml(media.sizes.l)}" alt="${title}" width="${media.width}" height="${media.height}"></main></body></html>`;
}
