/** Every type an upload may be, decided from the bytes (see detect-format.ts). HEIF stills of any brand are `heic`. */
export const IMAGE_FORMATS = ['jpeg', 'png', 'gif', 'webp', 'avif', 'heic', 'svg', 'bmp', 'ico'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** What a rendition can be encoded as. `svg` only ever means "the sanitized original SVG text". */
export const OUTPUT_FORMATS = ['jpeg', 'png', 'webp', 'avif', 'gif', 'svg'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Output formats that take a quality setting; `q` means nothing to the others. */
export const LOSSY_FORMATS: ReadonlySet<OutputFormat> = new Set(['jpeg', 'webp', 'avif']);

/** Output formats that can carry an animation (sharp's AVIF encoder writes stills only). */
export const ANIMATED_FORMATS: ReadonlySet<OutputFormat> = new Set(['gif', 'webp']);

/** Output formats that can carry transparency. */
export const ALPHA_FORMATS: ReadonlySet<OutputFormat> = new Set(['png', 'webp', 'avif', 'gif', 'svg']);

export const CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
  svg: 'image/svg+xml',
};

// sharp cannot encode HEIC, BMP or ICO, and browsers cannot show HEIC: those originals are delivered as the
// nearest format a browser shows. HEIC photos are practically never transparent, so JPEG; BMP and ICO are
// often pixel art or icons with alpha, so lossless PNG.
const DELIVERY_FORMATS: Readonly<Record<ImageFormat, OutputFormat>> = {
  jpeg: 'jpeg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
  avif: 'avif',
  heic: 'jpeg',
  svg: 'svg',
  bmp: 'png',
  ico: 'png',
};

/** The format the unparameterised rendition of an original is served in. */
export function deliveryFormat(source: ImageFormat): OutputFormat {
  return DELIVERY_FORMATS[source];
}

const EXTENSIONS: Readonly<Record<OutputFormat, string>> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  gif: 'gif',
  svg: 'svg',
};

/** The extension of an original's `src` URL: `photo.heic` is served as `{id}.jpg`. */
export function deliveryExtension(source: ImageFormat): string {
  return EXTENSIONS[DELIVERY_FORMATS[source]];
}
