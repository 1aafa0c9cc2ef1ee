import type { Dimensions } from '../header-dimensions.ts';
import { readHeifHeader } from '../heif-header.ts';
import { corrupt } from '../image-failure.ts';
import { assertWithinLimits, type ImageLimits } from '../image-limits.ts';
import { type ImageSource, withByteSource } from '../image-source.ts';
import { assertBmpComplete, canonicalBmp, readBmpHeader } from './bmp-file.ts';
import { type DecodedPixels, decodeInWorker, type WorkerDecodeJob } from './decode-in-worker.ts';
import { readIcoImage } from './ico-file.ts';

/** Formats libvips (as shipped with sharp) cannot read: decoded by JavaScript libraries instead. */
export type ForeignFormat = 'heic' | 'bmp' | 'ico';

export const isForeignFormat = (format: string): format is ForeignFormat =>
  format === 'heic' || format === 'bmp' || format === 'ico';

/** Ready for sharp: raw pixels, or (an ICO's PNG entry) an encoded PNG that sharp decodes itself. */
export type ForeignImage =
  | ({ readonly kind: 'raw' } & DecodedPixels)
  | ({ readonly kind: 'png'; readonly data: Buffer } & Dimensions);

/** Header check, then the full decode (off the event loop). Throws `ImageFailureError`. */
export async function decodeForeignImage(
  format: ForeignFormat,
  source: ImageSource,
  limits: ImageLimits,
): Promise<ForeignImage> {
  return withByteSource(source, async (bytes) => {
    if (format === 'bmp') {
      const header = await readBmpHeader(bytes);
      assertWithinLimits({ ...header, frames: 1 }, limits);
      assertBmpComplete(header, bytes.size);
      const canonical = canonicalBmp(await bytes.read(0, bytes.size), header);
      const job: WorkerDecodeJob = {
        kind: 'bmp',
        bytes: canonical,
        icon: false,
        zeroAlphaMeansOpaque: header.bitsPerPixel === 32,
      };
      return { kind: 'raw', ...(await decodeInWorker(job, limits.timeoutSeconds)) };
    }
    if (format === 'ico') {
      const icon = await readIcoImage(bytes);
      assertWithinLimits({ ...icon, frames: 1 }, limits);
      const entry = await bytes.read(icon.offset, icon.size);
      if (icon.png) return { kind: 'png', data: entry, width: icon.width, height: icon.height };
      const job = { kind: 'bmp', bytes: entry, icon: true, zeroAlphaMeansOpaque: true } as const;
      return { kind: 'raw', ...(await decodeInWorker(job, limits.timeoutSeconds)) };
    }
    const header = await readHeifHeader(bytes);
    if (!header) throw corrupt('heif: no primary image with a size in the header');
    assertWithinLimits({ ...header, frames: 1 }, limits);
    const decoded = await decodeInWorker(
      { kind: 'heic', bytes: withDecoderBrand(await bytes.read(0, bytes.size)) },
      limits.timeoutSeconds,
    );
    // libheif applies the container's rotation and mirroring; the result must match the header it passed.
    if (decoded.width * decoded.height > limits.maxPixels) throw corrupt('heic decoded larger than declared');
    return { kind: 'raw', ...decoded };
  });
}

// heic-decode only looks at the major brand and knows six of them; libheif itself reads the compatible
// brands. Files that detect-format accepted through another brand get a generic major brand (in a copy).
const HEIC_DECODE_BRANDS = new Set(['mif1', 'msf1', 'heic', 'heix', 'hevc', 'hevx']);

function withDecoderBrand(file: Buffer): Buffer {
  if (HEIC_DECODE_BRANDS.has(file.toString('latin1', 8, 12))) return file;
  const copy = Buffer.from(file);
  copy.write('mif1', 8, 'latin1');
  return copy;
}
