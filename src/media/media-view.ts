import { deliveryExtension, type ImageFormat, SRCSET_WIDTHS } from '../imaging/index.ts';
import { toUnixSeconds } from '../lib/time.ts';
import type { MediaTable } from '../store/database.ts';
import { srcUrl, viewerUrl } from './media-urls.ts';

export type MediaRow = MediaTable;

export interface UrlBases {
  publicUrl: string;
  srcBase: string;
}

/** The extension a media's `src` uses: its stored format where browsers can show it (HEIC → jpg, BMP/ICO → png). */
const mediaExtension = (format: string): string => deliveryExtension(format as ImageFormat);

/** The media object of docs/api.md §2.5 (hosting timestamps are Unix seconds). */
export function mediaView(bases: UrlBases, m: MediaRow) {
  const ext = mediaExtension(m.format);
  return {
    id: m.id,
    name: m.name,
    url: viewerUrl(bases.publicUrl, m.id),
    src: srcUrl(bases.srcBase, m, ext),
    width: m.width,
    height: m.height,
    filesize: Number(m.filesize),
    format: m.format,
    namespace: m.namespace,
    tags: JSON.parse(m.tags) as string[],
    public: m.public === 1,
    date: m.date,
    metadata: JSON.parse(m.metadata) as Record<string, string>,
    sizes: {
      s: srcUrl(bases.srcBase, m, ext, 'size=s'),
      m: srcUrl(bases.srcBase, m, ext, 'size=m'),
      l: srcUrl(bases.srcBase, m, ext, 'size=l'),
    },
    // Additions (docs/api.md §2.5): clients that do not know them ignore them.
    srcset: srcset(bases.srcBase, m, ext),
    srcset_auto: srcset(bases.srcBase, m, 'auto'),
    expires_at: m.expires_at === null ? null : toUnixSeconds(Number(m.expires_at)),
    created_at: toUnixSeconds(Number(m.created_at)),
    updated_at: toUnixSeconds(Number(m.updated_at)),
  };
}

/**
 * An `<img srcset>` value: the `srcset` widths below the image's own width (`?w=<width>`, free like presets), then
 * the image itself at its own width. With `auto` as extension each browser gets AVIF, WebP or JPEG/PNG by its
 * `Accept` header (answers carry `Vary: Accept`). An SVG scales by itself: its one entry is the SVG.
 */
function srcset(srcBase: string, m: MediaRow, ext: string): string {
  const widths = m.format === 'svg' ? [] : SRCSET_WIDTHS.filter((width) => width < m.width);
  return [
    ...widths.map((width) => `${srcUrl(srcBase, m, ext, `w=${width}`)} ${width}w`),
    `${srcUrl(srcBase, m, ext)} ${m.width}w`,
  ].join(', ');
}
