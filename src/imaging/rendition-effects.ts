import type { RenditionOperation, RenditionParams, Rgba } from './rendition-types.ts';
import { MAX_REQUESTED_DIMENSION } from './resize-plan.ts';

// Rendition operations beyond geometry, quality and format: device pixel ratio, blur, padding colour. Each is one
// entry of RENDITION_OPERATIONS (rendition-operations.ts); see the README's table.

/** `dpr=1…4` (up to two decimals): `w` and `h` are multiplied by it, clamped like any requested side. */
export const dpr: RenditionOperation = {
  name: 'dpr',
  query: ['dpr'],
  // After `resize` in the registry. The ratio is folded into the box, so `w=400&dpr=2` is `w=800`: one rendition,
  // one cache entry, and the cost model sees the real output size. Presets and the whole image have no `w`/`h`.
  parse: (request, params) => {
    const value = request.param('dpr')?.trim() ?? '';
    if (!/^\d(\.\d{1,2})?$/.test(value)) return params;
    const ratio = Number(value);
    const { resize } = params;
    if (ratio < 1 || ratio > 4 || resize?.kind !== 'box') return params;
    const times = (side: number | null) =>
      side === null ? null : Math.min(MAX_REQUESTED_DIMENSION, Math.max(1, Math.round(side * ratio)));
    return { ...params, resize: { ...resize, width: times(resize.width), height: times(resize.height) } };
  },
  // Its effect is the resize entry's (a bigger box): nothing of its own in the key or the pipeline.
  transforms: () => false,
  key: () => '',
  keepsPyramid: () => true,
};

const MAX_BLUR_SIGMA = 100;

/**
 * `blur=1…100`: a Gaussian blur of that sigma, in output pixels, after resizing (so it costs output pixels only and a
 * pyramid level serves it). Integers: finer steps would only multiply distinct cache entries.
 */
export const blur: RenditionOperation = {
  name: 'blur',
  query: ['blur'],
  parse: (request, params) => {
    const value = request.param('blur')?.trim() ?? '';
    if (!/^\d{1,3}$/.test(value)) return params;
    const sigma = Number(value);
    return sigma >= 1 && sigma <= MAX_BLUR_SIGMA ? { ...params, blur: sigma } : params;
  },
  transforms: (params) => params.blur !== undefined,
  key: ({ blur }) => (blur === undefined ? '' : `-blur${blur}`),
  raster: ({ image, params }) => {
    if (params.blur !== undefined) image.blur(params.blur);
  },
  svg: ({ image, params }) => {
    if (params.blur !== undefined) image.blur(params.blur);
  },
  // libvips' Gaussian blur grows with its kernel (measured on this machine: sigma 20 ≈ 6 ms, 50 ≈ 37 ms, 100 ≈ 115 ms
  // per megapixel on top of the rest); counted with a margin.
  msPerOutputMp: ({ blur }) => (blur === undefined ? 0 : 10 + 1.5 * blur),
  keepsPyramid: () => true,
};

/** True when the rendition pads: a `pad` box or the social card. */
function pads(params: RenditionParams): boolean {
  const { resize } = params;
  if (resize?.kind === 'preset') return resize.size === 'social';
  return resize?.kind === 'box' && resize.fit === 'pad' && resize.width !== null && resize.height !== null;
}

/**
 * `bg=rrggbb` (or `rgb`, `rgba`, `rrggbbaa`, with or without `#`): the padding colour of `fit=pad` and of the social
 * card, and the colour transparent pixels are flattened on when the output cannot keep them. Ignored when nothing
 * is padded, so it never makes a second cache entry of the same pixels.
 */
export const background: RenditionOperation = {
  name: 'background',
  query: ['bg'],
  // After `resize` in the registry: whether anything is padded is known here.
  parse: (request, params) => {
    const colour = parseHexColour(request.param('bg') ?? '');
    return colour === null || !pads(params) ? params : { ...params, background: colour };
  },
  transforms: (params) => params.background !== undefined,
  key: ({ background }) => (background === undefined ? '' : `-bg${background}`),
  keepsPyramid: () => true,
};

/** Canonical lower-case `rrggbb` (opaque) or `rrggbbaa`; null when not a hex colour. */
function parseHexColour(value: string): string | null {
  const hex = value.trim().replace(/^#/, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) return null;
  let full: string;
  if (hex.length === 3 || hex.length === 4) full = [...hex].map((digit) => digit + digit).join('');
  else if (hex.length === 6 || hex.length === 8) full = hex;
  else return null;
  return full.endsWith('ff') && full.length === 8 ? full.slice(0, 6) : full;
}

/** The `bg` colour of a rendition as sharp takes it; undefined when it has none. */
export function backgroundColour(params: RenditionParams): Rgba | undefined {
  const hex = params.background;
  if (hex === undefined) return undefined;
  const byte = (at: number) => Number.parseInt(hex.slice(at, at + 2), 16);
  return { r: byte(0), g: byte(2), b: byte(4), alpha: hex.length === 8 ? byte(6) / 255 : 1 };
}
