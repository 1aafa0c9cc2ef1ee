import { type Sharp, sharp } from './sharp-lib.ts';

// PNG renditions, lossless and small: zlib with per-row adaptive filters (half the bytes of sharp's default on photo
// pixels at the same CPU, bench/encoder-curve.ts), and an indexed palette whenever the pixels have ≤ 256 distinct
// colours — checked exactly, never quantised, so the palette is a smaller spelling of the same pixels.

/** zlib level: 9 saves ~4 % more for 2.4× the CPU (measured); 6 is the knee of the curve. */
const COMPRESSION_LEVEL = 6;
const MAX_PALETTE_COLOURS = 256;
/**
 * Counting colours needs the pixels in memory (4 bytes each); beyond this many pixels the rendition is encoded as
 * truecolour straight from the pipeline (big PNG renditions are photos, never palette images).
 */
const MAX_COUNTED_PIXELS = 16_000_000;

export interface EncodedPng {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

/**
 * Encodes the pipeline as PNG: 16-bit stays 16-bit truecolour; 8-bit pixels with at most 256 distinct colours
 * (alpha included) become an indexed PNG, verified pixel-exact; the rest truecolour with adaptive filtering.
 */
export async function encodePng(
  image: Sharp,
  options: {
    sixteenBit: boolean;
    pixels: number;
    timeoutSeconds: number;
    /**
     * Set for a reduced rendition of a palette original: the original's bytes. Resampling blends a palette
     * image's colours into thousands; when the truecolour result would outweigh the original, it is quantised back
     * to a 256-colour palette (dithered), as the original was — the one case where a PNG rendition is not lossless.
     */
    paletteSourceBytes?: number;
  },
): Promise<EncodedPng> {
  const truecolour = { compressionLevel: COMPRESSION_LEVEL, adaptiveFiltering: true, palette: false };
  if (options.sixteenBit || options.pixels > MAX_COUNTED_PIXELS) {
    const { data, info } = await image
      .png(truecolour)
      .timeout({ seconds: options.timeoutSeconds })
      .toBuffer({ resolveWithObject: true });
    return { data: withoutMetadata(data), width: info.width, height: info.height };
  }
  const raw = await image
    .raw({ depth: 'uchar' })
    .timeout({ seconds: options.timeoutSeconds })
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = raw.info;
  const decoded = { raw: { width, height, channels } } as const;
  const again = () => sharp(raw.data, decoded).timeout({ seconds: options.timeoutSeconds });
  // Greyscale is one byte per pixel already; a palette only pays for colour.
  const colours =
    channels >= 3 ? countColours(raw.data, channels, MAX_PALETTE_COLOURS) : Number.POSITIVE_INFINITY;
  if (colours <= MAX_PALETTE_COLOURS) {
    const indexed = await again()
      .png({
        palette: true,
        colours: Math.max(2, colours),
        dither: 0,
        quality: 100,
        effort: 10,
        compressionLevel: 9,
      })
      .toBuffer();
    // libimagequant keeps ≤ 256 colours as they are; checked anyway, since a palette must never cost a pixel.
    if (await samePixels(indexed, raw.data, channels))
      return { data: withoutMetadata(indexed), width, height };
  }
  const full = withoutMetadata(await again().png(truecolour).toBuffer());
  if (options.paletteSourceBytes === undefined || full.length <= options.paletteSourceBytes) {
    return { data: full, width, height };
  }
  const quantised = withoutMetadata(
    await again()
      .png({
        palette: true,
        colours: MAX_PALETTE_COLOURS,
        dither: 1,
        quality: 100,
        effort: 10,
        compressionLevel: 9,
      })
      .toBuffer(),
  );
  return { data: quantised.length < full.length ? quantised : full, width, height };
}

/** libvips writes a pHYs (resolution) chunk: metadata, dropped like every other. */
function withoutMetadata(png: Buffer): Buffer {
  return strippedPng(png) ?? png;
}

/** Distinct pixel values, counting stops at `limit + 1`. */
function countColours(data: Buffer, channels: number, limit: number): number {
  const seen = new Set<number>();
  let last = -1;
  for (let at = 0; at + channels <= data.length; at += channels) {
    let value = 0;
    for (let c = 0; c < channels; c++) value = value * 256 + (data[at + c] as number);
    // Runs of one colour are the common case in images with few colours.
    if (value === last) continue;
    last = value;
    seen.add(value);
    if (seen.size > limit) return seen.size;
  }
  return seen.size;
}

/** The palette PNG decodes to `expected` (an opaque alpha channel the palette left out counts as kept). */
async function samePixels(png: Buffer, expected: Buffer, channels: number): Promise<boolean> {
  const decoded = sharp(png);
  if (channels === 4) decoded.ensureAlpha(1);
  const { data, info } = await decoded.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return info.channels === channels && data.equals(expected);
}

// What a PNG needs to show its pixels exactly as our renditions do (sRGB, no colour management, no metadata).
const KEPT_CHUNKS = new Set(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND']);
// Chunks that change how the pixels look (colour profile, chromaticities, EXIF orientation): a file with one of
// them is not shown like our rendition once they are dropped.
const RENDERING_CHUNKS = new Set(['iCCP', 'cHRM', 'eXIf']);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The stored PNG with its metadata chunks dropped (text, time, physical size, gamma/sRGB hints, APNG frames), its
 * image data untouched: the same pixels as our rendition of it, often in fewer bytes than a re-encode. Null when
 * the file carries a chunk that changes how it looks (ICC profile, chromaticities, EXIF orientation) or is not a
 * well-formed chunk sequence.
 */
export function strippedPng(file: Buffer): Buffer | null {
  if (file.length < PNG_SIGNATURE.length || !file.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  const kept: Buffer[] = [PNG_SIGNATURE];
  let at = PNG_SIGNATURE.length;
  while (at + 12 <= file.length) {
    const length = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    const end = at + 12 + length;
    if (length > 0x7fffffff || end > file.length) return null;
    if (RENDERING_CHUNKS.has(type)) return null;
    if (KEPT_CHUNKS.has(type)) kept.push(file.subarray(at, end));
    at = end;
    if (type === 'IEND') return Buffer.concat(kept);
  }
  return null;
}
