import { smallestAboveTarget } from './auto-quality.ts';
import type { OutputFormat } from './image-format.ts';
import type { Sharp } from './sharp-lib.ts';

// JPEG, WebP, AVIF and GIF encoding. Every setting here was chosen from the curves of bench/encoder-curve.ts
// (docs/benchmarks.md, "Encoder settings"): bytes against CPU against similarity, on this 2-core machine.

type LossyFormat = Exclude<OutputFormat, 'png' | 'svg'>;

/**
 * Default qualities of renditions; `q` overrides them. Chosen to keep the similarity of the previous defaults
 * (JPEG q80 baseline, WebP q80 effort 2) in fewer bytes: trellis JPEG needs q82 for it (−6 % bytes), WebP at effort
 * 4 q79 (−10 %). AVIF q50 at effort 0 is both smaller and closer than the previous effort 2 (measured).
 */
const QUALITY = { jpeg: 82, webp: 79, avif: 50 } as const;
/** Originals re-encoded to drop their metadata stand for the uploaded file: more. */
const ORIGINAL_QUALITY = { jpeg: 90, webp: 90, avif: 65 } as const;
/**
 * The qualities `q=auto` searches, per format: around the defaults, so it never makes a smudge of a smooth image nor
 * a giant of a noisy one.
 */
const AUTO_RANGE = { jpeg: [50, 85], webp: [50, 85], avif: [35, 70] } as const;

/**
 * mozjpeg's trellis quantisation, without the rest of its preset: at equal similarity it saves 6 % for 2.4× the
 * encode CPU; the full preset (progressive scans, table 3) saves 7 % for 3.6×, table 3 alone nothing.
 */
const JPEG_OPTIONS = { trellisQuantisation: true, optimiseCoding: true, mozjpeg: false } as const;
/** At equal similarity: effort 2 costs 13 % more bytes than 4, effort 5 saves 3 % for 14 % more CPU, 6 saves 6 % for 2.4×. */
const WEBP_EFFORT = 4;
/**
 * At 1440×1080 (from its pyramid level): effort 0 encodes in ≈ 100 ms, effort 2 (the previous setting) in ≈ 520 ms
 * for more bytes at a lower similarity; effort 3 halves the bytes but takes ≈ 500 ms, sharp's default (4) ≈ 2.4 s.
 */
const AVIF_EFFORT = 0;
/** GIF effort 3 vs 7: 3× faster, same size (measured). */
const GIF_EFFORT = 3;

export interface LossyEncoding {
  readonly format: LossyFormat;
  readonly quality: number | 'auto' | undefined;
  /** The unparameterised rendition of the source (a re-encode to drop metadata). */
  readonly original: boolean;
  readonly losslessWebp: boolean;
  readonly animated: boolean;
  readonly chromaSubsampling: '4:2:0' | '4:4:4';
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
      return image.jpeg({ ...JPEG_OPTIONS, quality, chromaSubsampling });
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
