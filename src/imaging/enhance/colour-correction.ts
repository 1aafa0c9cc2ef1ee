import { type Box, histogramPercentile, type Rgb, type RgbImage } from './pixel-buffers.ts';
import { PRESERVATION_LEVELS, type PreservationLevel } from './presets.ts';
import { type EnhanceWarning, warning } from './warnings.ts';

/** Only pixels this opaque count as product for statistics: soft edges are part background. */
const SOLID_ALPHA = 200;
const LOW_PERCENTILE = 0.005;
const HIGH_PERCENTILE = 0.995;

/** White balance trusts the background only so far: a cast bigger than this is the backdrop's colour. */
const MAX_WHITE_BALANCE = 0.1;
/** A background more colourful than this (max − min channel) is a coloured backdrop, not a cast. */
const MAX_BACKGROUND_CHROMA = 40;
const MIN_BACKGROUND_LUMINANCE = 128;

export interface ColourCorrection {
  /** Levels gain applied to all channels (after white balance). */
  readonly gain: number;
  readonly whiteBalance: Rgb;
  readonly warnings: readonly EnhanceWarning[];
  /** Writes the corrected colour of one product pixel into `out` (0..255, not yet rounded). */
  correct(r: number, g: number, b: number, out: Float32Array): void;
}

function luminance(r: number, g: number, b: number): number {
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * Measures the product (pixels with alpha ≥ 200 within its box) and plans its correction for the preservation level.
 * `background` is the original backdrop colour when known: a neutral light backdrop shows the light's
 * colour cast, which white balance removes.
 */
export function planColourCorrection(
  image: RgbImage,
  alpha: Uint8Array,
  within: Box,
  level: PreservationLevel,
  background: Rgb | null,
): ColourCorrection {
  const policy = PRESERVATION_LEVELS[level];
  const warnings: EnhanceWarning[] = [];
  let balance: Rgb = [1, 1, 1];
  if (policy.whiteBalance) {
    const neutral =
      background &&
      luminance(...background) >= MIN_BACKGROUND_LUMINANCE &&
      Math.max(...background) - Math.min(...background) <= MAX_BACKGROUND_CHROMA;
    if (neutral) {
      const grey = (background[0] + background[1] + background[2]) / 3;
      const gain = (channel: number): number =>
        Math.min(1 + MAX_WHITE_BALANCE, Math.max(1 - MAX_WHITE_BALANCE, grey / Math.max(1, channel)));
      balance = [gain(background[0]), gain(background[1]), gain(background[2])];
    } else {
      warnings.push(warning('white_balance_skipped'));
    }
  }

  const histogram = new Uint32Array(256);
  let count = 0;
  const { data } = image;
  const [wr, wg, wb] = balance;
  for (let y = within.top; y < within.top + within.height; y++) {
    for (let x = within.left; x < within.left + within.width; x++) {
      const p = y * image.width + x;
      if (alpha[p]! < SOLID_ALPHA) continue;
      const at = p * 3;
      const lum = 0.2126 * data[at]! * wr + 0.7152 * data[at + 1]! * wg + 0.0722 * data[at + 2]! * wb;
      histogram[lum >= 255 ? 255 : Math.round(lum)]!++;
      count++;
    }
  }
  let gain = 1;
  let offset = 0;
  let pivot = 128;
  if (count >= 64) {
    const low = histogramPercentile(histogram, count, LOW_PERCENTILE);
    const high = histogramPercentile(histogram, count, HIGH_PERCENTILE);
    if (policy.blackPoint) {
      gain = clamp(255 / Math.max(1, high - low), 1, policy.maxGain);
      // Where the gain is capped, the unused range is shared out in proportion to the original margins
      // below the black and above the white point: a dark product stays dark, a bright one bright.
      const slack = 255 - gain * (high - low);
      const margins = low + (255 - high);
      offset = (margins > 0 ? (slack * low) / margins : 0) - gain * low;
    } else {
      gain = clamp(255 / Math.max(1, high), 1, policy.maxGain);
    }
    pivot = gain * histogramPercentile(histogram, count, 0.5) + offset;
  }
  const { contrast, vibrance } = policy;
  const channelLut = (channelGain: number): Float32Array => {
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) {
      const levelled = v * channelGain * gain + offset;
      table[v] = pivot + (levelled - pivot) * contrast;
    }
    return table;
  };
  const lutR = channelLut(balance[0]);
  const lutG = channelLut(balance[1]);
  const lutB = channelLut(balance[2]);

  return {
    gain,
    whiteBalance: balance,
    warnings,
    correct(r, g, b, out) {
      let cr = lutR[r]!;
      let cg = lutG[g]!;
      let cb = lutB[b]!;
      if (vibrance > 0) {
        const y = luminance(cr, cg, cb);
        const saturation = clamp((Math.max(cr, cg, cb) - Math.min(cr, cg, cb)) / 255, 0, 1);
        // Muted colours gain the most; already saturated ones are left nearly alone (no clipping).
        const boost = 1 + vibrance * (1 - saturation);
        cr = y + (cr - y) * boost;
        cg = y + (cg - y) * boost;
        cb = y + (cb - y) * boost;
      }
      out[0] = clamp(cr, 0, 255);
      out[1] = clamp(cg, 0, 255);
      out[2] = clamp(cb, 0, 255);
    },
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
