import { type Sharp, sharp } from './sharp-lib.ts';
import { type RgbaPixels, rgbaPixels, similarity } from './similarity.ts';

/**
 * `q=auto`: the lowest quality whose output stays at least this similar (mean SSIM, similarity.ts) to the
 * rendition's own pixels before encoding — about what is usually called visually lossless (a DSSIM of 0.02).
 * Measured (trellis JPEG, 853×640): a smooth photo-like image reaches it at q40–50 (26 KB instead of 42 KB at the
 * default), a gradient at q40; very noisy content never does, and gets the top of the searched range.
 */
const AUTO_QUALITY_TARGET = 0.98;
/** Encodes tried at most (a binary search over the format's quality range); the budget prices this many. */
export const AUTO_QUALITY_PROBES = 5;

export interface QualitySearch {
  /** The rendition's pixels, decoded and transformed, ready to encode. */
  readonly pixels: {
    readonly data: Buffer;
    readonly width: number;
    readonly height: number;
    readonly channels: 1 | 2 | 3 | 4;
  };
  /** Encodes a pipeline at a quality (the format's other settings included). */
  readonly encode: (image: Sharp, quality: number) => Sharp;
  /** The qualities searched, lowest first. */
  readonly range: readonly [number, number];
  readonly timeoutSeconds: number;
}

/**
 * The smallest output at or above the target similarity: a binary search over the quality range, at most
 * `AUTO_QUALITY_PROBES` encodes; when none of them reaches the target, the top of the range.
 */
export async function smallestAboveTarget(search: QualitySearch): Promise<Buffer> {
  const { data, width, height, channels } = search.pixels;
  const open = () =>
    sharp(data, { raw: { width, height, channels } }).timeout({ seconds: search.timeoutSeconds });
  const reference = await rgbaPixels(open());
  let [low, high] = search.range;
  let best: Buffer | null = null;
  for (let probe = 0; probe < AUTO_QUALITY_PROBES && low <= high; probe++) {
    const quality = Math.round((low + high) / 2);
    const candidate = await search.encode(open(), quality).toBuffer();
    if (await similarEnough(reference, candidate)) {
      best = candidate;
      high = quality - 1;
    } else {
      low = quality + 1;
    }
  }
  return best ?? search.encode(open(), search.range[1]).toBuffer();
}

async function similarEnough(reference: RgbaPixels, encoded: Buffer): Promise<boolean> {
  // The block approximation: within 0.001 of the exact SSIM on photos and gradients (measured), ~10× faster.
  return similarity(reference, await rgbaPixels(sharp(encoded)), 'bezkrovny') >= AUTO_QUALITY_TARGET;
}
