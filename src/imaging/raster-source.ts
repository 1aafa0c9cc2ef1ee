import { type Dimensions, readRasterDimensions } from './header-dimensions.ts';
import { readHeifHeader } from './heif-header.ts';
import { assertWithinLimits, type ImageLimits } from './image-limits.ts';
import { type ImageSource, withByteSource } from './image-source.ts';
import { asImageFailure } from './sharp-failure.ts';
import { type Metadata, type SharpOptions, sharp } from './sharp-lib.ts';

/** Formats libvips decodes itself. */
export type NativeFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'avif';

/** What is known about a native-format source before decoding it, limits already applied. */
export interface RasterFacts extends Dimensions {
  /** Display dimensions: after EXIF orientation. */
  readonly frames: number;
  readonly hasAlpha: boolean;
  readonly space: Metadata['space'];
  readonly depth: Metadata['depth'];
  /** JPEG sources: the chroma subsampling the file was saved with (`4:2:0`, `4:4:4`…). */
  readonly chromaSubsampling?: string;
  /** An indexed (palette) PNG or GIF: at most 256 colours. */
  readonly palette?: boolean;
}

/**
 * Header dimensions (our own parser, no decoder) → pixel limit → sharp's header-only metadata → frame
 * limits. Throws `ImageFailureError`. Nothing here decodes pixel data.
 */
export async function inspectRaster(
  source: ImageSource,
  format: NativeFormat,
  limits: ImageLimits,
): Promise<RasterFacts> {
  const declared = await withByteSource(source, async (bytes) =>
    format === 'avif' ? readHeifHeader(bytes) : readRasterDimensions(format, bytes),
  );
  if (declared) assertWithinLimits({ ...declared, frames: 1 }, limits);

  let metadata: Metadata;
  try {
    // Header only: the limit was checked above, on our own reading of the header.
    metadata = await sharp(source, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw asImageFailure(error);
  }
  // AVIF "pages" are alternative items (thumbnails, alpha), not an animation sharp could re-encode.
  const frames = format === 'gif' || format === 'webp' ? Math.max(1, metadata.pages ?? 1) : 1;
  const frameHeight = metadata.pageHeight ?? metadata.height;
  assertWithinLimits({ width: metadata.width, height: frameHeight, frames }, limits);
  const oriented = (metadata.orientation ?? 1) >= 5;
  return {
    width: oriented ? frameHeight : metadata.width,
    height: oriented ? metadata.width : frameHeight,
    frames,
    hasAlpha: metadata.hasAlpha,
    space: metadata.space,
    depth: metadata.depth,
    ...(metadata.chromaSubsampling ? { chromaSubsampling: metadata.chromaSubsampling } : {}),
    ...(metadata.isPalette ? { palette: true } : {}),
  };
}

/** Options for decoding a source whose facts passed `inspectRaster`. */
export function decodeOptions(limits: ImageLimits, animated: boolean): SharpOptions {
  return {
    animated,
    autoOrient: true,
    // 'error' refuses truncated and broken data but tolerates libjpeg's warnings about harmless junk
    // ('warning' would refuse many real phone and scanner JPEGs that every browser shows).
    failOn: 'error',
    limitInputPixels: animated ? Math.max(limits.maxPixels, limits.maxAnimationPixels) : limits.maxPixels,
  };
}
