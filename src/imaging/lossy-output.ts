import { smallestAboveTarget } from './auto-quality.ts';
import type { OutputFormat } from './image-format.ts';
import type { Sharp } from './sharp-lib.ts';

// JPEG, WebP, AVIF and GIF encoding. Every setting here was chosen from the curves of bench/encoder-curve.ts
// (docs/benchmarks.md, "Encoder settings"): bytes against CPU against similarity, on this 2-core machine.

type LossyFormat = Exclude<OutputFormat, 'png' | 'svg'>;

/**
 * Default qualities of renditions; `q` overrides them. JPEG and WebP: where the curve of the settings below crosses
 * the SSIM of ipx's default output (sharp q80 from the original), rounded to the nearest integer — q83.3 and q82.5 on
 * the benchmark photos, from uncompressed levels (docs/benchmarks.md, "Encoder settings against ipx"; q83.4 and
 * q82.4 from the JPEG levels before): bytes are compared at equal similarity, not at equal `q`.
 * AVIF q50 at effort 0 is both smaller and closer than the previous effort 2 (measured).
 */
const QUALITY = { jpeg: 83, webp: 83, avif: 50 } as const;
/** Originals re-encoded to drop their metadata stand for the uploaded file: more. */
const ORIGINAL_QUALITY = { jpeg: 90, webp: 90, avif: 65 } as const;
/**
 * The qualities `q=auto` searches, per format: around the defaults, so it never makes a smudge of a smooth image nor
 * a giant of a noisy one.
 */
const AUTO_RANGE = { jpeg: [50, 85], webp: [50, 85], avif: [35, 70] } as const;

/**
 * Trellis quantisation, progressive, optimised Huffman tables, the standard (Annex K) tables. At ipx's SSIM, from the
 * pyramid level (docs/benchmarks.md "Encoder settings against ipx"): 1.01× ipx's bytes, against 1.06× for sharp's
 * baseline coding. mozjpeg's search for the best scan splits (`optimiseScans`) would save another 3 % but costs
 * ≈ 40 % more encode CPU (≈ 16 ms per uncached JPEG of 853×640), left out for the uncached throughput: 2.0–2.25×
 * ipx's without it (docs/benchmarks.md "Delivery"); 1.6–1.7× with it when the levels were JPEG (1.9× without), and
 * by that arithmetic under 2× at 8 connections now. mozjpeg's own table (3) and the MS-SSIM-tuned one (2) need a
 * higher quality for the same SSIM and end larger; 4:4:4 costs 40 % more (chroma stays 4:2:0 for photos). The flat table (1) reaches ipx's SSIM in far fewer bytes on noisy photos because SSIM counts the
 * noise it keeps; not used (docs/benchmarks.md, "Delivery bytes: reading the results").
 */
const CAREFUL_JPEG = {
  progressive: true,
  trellisQuantisation: true,
  optimiseScans: false,
  optimiseCoding: true,
  quantisationTable: 0,
  mozjpeg: false,
} as const;
/**
 * Trellis coding costs several times plain progressive coding, and on noise it grows with quality (measured with the
 * scan search too, so an upper bound now): 96 ms/MP on a photo at q84, 513 ms/MP on noise at q84, 1 071 ms/MP at
 * q100 (plain progressive: 62 ms/MP at worst). It is kept to the sizes
 * and qualities pages are served at, so its worst case stays ≈ 2 s whatever a request asks (3 MP × ~700 ms/MP of
 * noise at q90): larger or finer outputs are progressive with optimised Huffman tables only (≈ 1.5 % more bytes).
 */
export const CAREFUL_JPEG_MAX_PIXELS = 3_000_000;
const CAREFUL_JPEG_MAX_QUALITY = 90;
const PLAIN_JPEG = { progressive: true, optimiseCoding: true, quantisationTable: 0, mozjpeg: false } as const;
/**
 * Effort 4 (sharp's default). At equal SSIM, from the level WebP reads (`RESAMPLING`), effort 5 saves nothing and 6
 * saves 1–4 % for 2.3× the encode CPU; `smartSubsample` costs 5 % more bytes, presets `photo`/`picture` 2–3 %,
 * `smartDeblock` saves nothing for 4× the CPU.
 */
const WEBP_EFFORT = 4;
/**
 * At 1440×1080 (from its pyramid level): effort 0 encodes in ≈ 100 ms, effort 2 (the previous setting) in ≈ 520 ms
 * for more bytes at a lower similarity; effort 3 halves the bytes but takes ≈ 500 ms, sharp's default (4) ≈ 2.4 s.
 */
const AVIF_EFFORT = 0;
/** GIF effort 3 vs 7: 3× faster, same size (measured). */
const GIF_EFFORT = 3;

/**
 * The kernel an output format's pixels are resampled with (render.ts's resize). WebP's encoder spends bytes on the
 * fine texture Lanczos 3 keeps: with Lanczos 2 it reaches the same SSIM in ≈ 3 % fewer bytes (1000×750 level to
 * 853×640, docs/benchmarks.md "Encoder settings against ipx"). JPEG loses with Lanczos 2 and keeps libvips' default,
 * as do the other formats.
 */
type ResizeKernel = 'lanczos3' | 'lanczos2';
const KERNEL: Readonly<Partial<Record<OutputFormat, ResizeKernel>>> = { webp: 'lanczos2' };

export function kernelFor(format: OutputFormat): ResizeKernel {
  return KERNEL[format] ?? 'lanczos3';
}

export interface LossyEncoding {
  readonly format: LossyFormat;
  readonly quality: number | 'auto' | undefined;
  /** The unparameterised rendition of the source (a re-encode to drop metadata). */
  readonly original: boolean;
  readonly losslessWebp: boolean;
  readonly animated: boolean;
  readonly chromaSubsampling: '4:2:0' | '4:4:4';
  /** Pixels of the output (one frame). */
  readonly pixels: number;
  readonly timeoutSeconds: number;
}

/** Encodes the pipeline; `q=auto` searches the smallest output above the similarity target (stills only). */
export async function encodeLossy(
  image: Sharp,
  encoding: LossyEncoding,
): Promise<{ data: Buffer; width: number; height: number }> {
  const { format, quality } = encoding;
  if (quality === 'auto' && format !== 'gif' && !encoding.animated) {
    const { data, info } = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const { width, height, channels } = info;
    const encoded = await smallestAboveTarget({
      pixels: { data, width, height, channels },
      encode: (pipeline, q) => withEncoder(pipeline, encoding, q),
      range: AUTO_RANGE[format],
      timeoutSeconds: encoding.timeoutSeconds,
    });
    return { data: encoded, width, height };
  }
  const qualities = encoding.original ? ORIGINAL_QUALITY : QUALITY;
  const chosen = typeof quality === 'number' ? quality : format === 'gif' ? 0 : qualities[format];
  const { data, info } = await withEncoder(image, encoding, chosen).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.pageHeight ?? info.height };
}

function withEncoder(image: Sharp, encoding: LossyEncoding, quality: number): Sharp {
  const { chromaSubsampling } = encoding;
  switch (encoding.format) {
    case 'jpeg':
      return image.jpeg({
        ...(encoding.pixels <= CAREFUL_JPEG_MAX_PIXELS && quality <= CAREFUL_JPEG_MAX_QUALITY
          ? CAREFUL_JPEG
          : PLAIN_JPEG),
        quality,
        chromaSubsampling,
      });
    case 'webp':
      // A lossless WebP original stays lossless.
      return encoding.original && encoding.losslessWebp
        ? image.webp({ lossless: true, effort: 2 })
        : image.webp({ quality, effort: WEBP_EFFORT });
    case 'avif':
      return image.avif({ quality, effort: AVIF_EFFORT, chromaSubsampling });
    case 'gif':
      return image.gif({ effort: GIF_EFFORT });
  }
}
