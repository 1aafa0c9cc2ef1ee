import type { Dimensions } from './header-dimensions.ts';
import { ImageFailureError } from './image-failure.ts';
import type { ImageLimits } from './image-limits.ts';
import { type ImageSource, readWhole, sourceSize } from './image-source.ts';
import type { ResizePlan } from './resize-plan.ts';
import { type SanitizedSvg, sanitizeSvg } from './sanitize-svg.ts';

/**
 * The stored original SVG, sanitized (it is kept untouched in storage and sanitized on every read).
 * `forRaster` pins the root to its intrinsic size, ready for `svgForRaster`.
 */
export async function readSanitizedSvg(
  source: ImageSource,
  limits: ImageLimits,
  forRaster: boolean,
): Promise<SanitizedSvg> {
  if ((await sourceSize(source)) > limits.maxSvgBytes) {
    throw new ImageFailureError(
      'unsupported',
      `SVG file too large: the limit is ${limits.maxSvgBytes} bytes`,
    );
  }
  const sanitized = sanitizeSvg((await readWhole(source)).toString('utf8'), { pinRootSize: forRaster });
  if (!sanitized.ok) throw new ImageFailureError(sanitized.reason, sanitized.message, sanitized.detail);
  return sanitized;
}

/**
 * An SVG document that draws a root-pinned sanitized SVG at exactly `plan.width × plan.height` pixels (at
 * librsvg's 72 dpi, where 1 px = 1 user unit). The original is nested at its intrinsic size in CSS px,
 * so physical units and missing viewBoxes render as in a browser; the outer viewBox then scales it:
 * `slice` for cover (centre crop), `meet` for contain (transparent padding for pad/social), and `none` for a
 * plain scale, where the aspect differs only by rounding and `meet` would leave a transparent hairline. `align` is
 * where a `slice` keeps the drawing (`gravity`: `xMidYMid` is the centre).
 */
export function svgForRaster(pinned: SanitizedSvg, plan: ResizePlan, align = 'xMidYMid'): Buffer {
  const intrinsic: Dimensions = pinned;
  const aspect = { cover: `${align} slice`, contain: 'xMidYMid meet', fill: 'none' }[plan.fit];
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${plan.width}" height="${plan.height}" ` +
      `viewBox="0 0 ${intrinsic.width} ${intrinsic.height}" preserveAspectRatio="${aspect}">` +
      `${pinned.svg}</svg>`,
  );
}
