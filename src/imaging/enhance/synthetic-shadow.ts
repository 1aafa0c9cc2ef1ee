import type { Box } from './pixel-buffers.ts';

/** How dark the shadow's core is (share of white taken away). */
const STRENGTH = 0.28;
/** Half-width of the shadow as a share of the product's width on the canvas. */
const WIDTH_SHARE = 0.45;
/** Half-height of the shadow as a share of the product's height, at least MIN_HALF_HEIGHT px. */
const HEIGHT_SHARE = 0.035;
const MIN_HALF_HEIGHT = 4;
/** Gaussian fall-off: exp(−FALLOFF × r²) on the ellipse's normalised radius. */
const FALLOFF = 2.5;
/** Below this darkening (of 255) the canvas stays exactly white. */
const CUT_OFF = 0.5;

/**
 * A clean, soft contact shadow under the product (LIGHTBOX_ENHANCE_SHADOW=synthetic), drawn where the canvas
 * is not (fully) product: an ellipse centred on the middle of the product's bottom edge, Gaussian fall-off.
 * It reaches at most 1.25 half-axes from its centre — about 4 % of the canvas below the product and 6 % of the
 * product's width beside it — so the 2 % frame of the canvas stays pure white whatever the preset.
 * `coverage` is the product's opacity per canvas pixel (0…255), `product` the product's box on the canvas.
 */
export function drawContactShadow(
  canvas: Buffer,
  size: number,
  product: Box,
  coverage: (x: number, y: number) => number,
): void {
  const rx = Math.max(1, product.width * WIDTH_SHARE);
  const ry = Math.max(MIN_HALF_HEIGHT, product.height * HEIGHT_SHARE);
  const cx = product.left + product.width / 2;
  const cy = product.top + product.height;
  const reach = Math.sqrt(Math.log((255 * STRENGTH) / CUT_OFF) / FALLOFF);
  const top = Math.max(0, Math.floor(cy - ry * reach));
  const bottom = Math.min(size - 1, Math.ceil(cy + ry * reach));
  const left = Math.max(0, Math.floor(cx - rx * reach));
  const right = Math.min(size - 1, Math.ceil(cx + rx * reach));
  for (let y = top; y <= bottom; y++) {
    const dy = (y + 0.5 - cy) / ry;
    for (let x = left; x <= right; x++) {
      const dx = (x + 0.5 - cx) / rx;
      const darkening = 255 * STRENGTH * Math.exp(-FALLOFF * (dx * dx + dy * dy));
      if (darkening < CUT_OFF) continue;
      // Only the white part of a pixel is shaded: under the product nothing, at its soft edge a share.
      const open = 1 - coverage(x, y) / 255;
      if (open <= 0) continue;
      const at = (y * size + x) * 3;
      for (let c = 0; c < 3; c++)
        canvas[at + c] = Math.max(0, Math.round(canvas[at + c]! - darkening * open));
    }
  }
}
