import type { Dimensions } from './header-dimensions.ts';

// CSS absolute units in CSS pixels (96 per inch), as browsers size an SVG in <img>.
const UNIT_PIXELS: Readonly<Record<string, number>> = {
  '': 1,
  px: 1,
  pt: 96 / 72,
  pc: 16,
  in: 96,
  cm: 96 / 2.54,
  mm: 96 / 25.4,
  q: 96 / 101.6,
  em: 16,
  rem: 16,
  ex: 8,
};

const LENGTH = /^\s*\+?(\d*\.?\d+(?:e[+-]?\d+)?)\s*([a-z]*)\s*$/i;

/** An absolute length in CSS pixels; null for percentages, `auto`, zero or nonsense. */
function parseSvgLength(value: string | undefined): number | null {
  const match = value === undefined ? null : LENGTH.exec(value);
  if (!match) return null;
  const unit = UNIT_PIXELS[(match[2] ?? '').toLowerCase()];
  const pixels = Number(match[1]) * (unit ?? Number.NaN);
  return Number.isFinite(pixels) && pixels > 0 ? pixels : null;
}

export interface ViewBox {
  readonly width: number;
  readonly height: number;
}

function parseViewBox(value: string | undefined): ViewBox | null {
  if (value === undefined) return null;
  const numbers = value
    .trim()
    .split(/[\s,]+/)
    .map(Number);
  if (numbers.length !== 4 || numbers.some((n) => !Number.isFinite(n))) return null;
  const [, , width = 0, height = 0] = numbers;
  return width > 0 && height > 0 ? { width, height } : null;
}

/** Kept within what any rasterization could use; the size stored on the media object. */
const MAX_SVG_DIMENSION = 100_000;

/**
 * The intrinsic size: width/height when absolute, the missing one from the viewBox ratio, else the
 * viewBox itself, else the 300×150 default of replaced elements in browsers.
 */
export function intrinsicSvgSize(attributes: {
  width?: string | undefined;
  height?: string | undefined;
  viewBox?: string | undefined;
}): Dimensions {
  const width = parseSvgLength(attributes.width);
  const height = parseSvgLength(attributes.height);
  const viewBox = parseViewBox(attributes.viewBox);
  const ratio = viewBox ? viewBox.width / viewBox.height : null;
  let size: [number, number];
  if (width !== null && height !== null) size = [width, height];
  else if (width !== null && ratio !== null) size = [width, width / ratio];
  else if (height !== null && ratio !== null) size = [height * ratio, height];
  else if (viewBox && width === null && height === null) size = [viewBox.width, viewBox.height];
  else size = [width ?? 300, height ?? 150];
  const clamp = (n: number): number => Math.min(MAX_SVG_DIMENSION, Math.max(1, Math.round(n)));
  return { width: clamp(size[0]), height: clamp(size[1]) };
}
