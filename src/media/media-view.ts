import { deliveryExtension, type ImageFormat } from '../imaging/index.ts';
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
    expires_at: m.expires_at === null ? null : toUnixSeconds(Number(m.expires_at)),
    created_at: toUnixSeconds(Number(m.created_at)),
    updated_at: toUnixSeconds(Number(m.updated_at)),
  };
}
