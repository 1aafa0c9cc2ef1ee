import type { CropPosition, RenditionOperation, RenditionParams } from './rendition-types.ts';

/** `gravity=` values, with the usual aliases (CSS-like sides and corners, `center`, `auto` = libvips attention). */
const GRAVITY_NAMES: Readonly<Record<string, CropPosition>> = {
  centre: 'centre',
  center: 'centre',
  north: 'north',
  top: 'north',
  south: 'south',
  bottom: 'south',
  east: 'east',
  right: 'east',
  west: 'west',
  left: 'west',
  northeast: 'northeast',
  'top-right': 'northeast',
  northwest: 'northwest',
  'top-left': 'northwest',
  southeast: 'southeast',
  'bottom-right': 'southeast',
  southwest: 'southwest',
  'bottom-left': 'southwest',
  auto: 'attention',
  attention: 'attention',
  entropy: 'entropy',
};

/** True when the rendition crops: a `w`×`h` box with `cover` or `crop`. */
function crops(params: RenditionParams): boolean {
  const { resize } = params;
  return resize?.kind === 'box' && (resize.fit === 'cover' || resize.fit === 'crop');
}

/**
 * Where a `cover` crop keeps the image. `crop` is `cover` with `attention` (as before this entry existed), so the
 * canonical form is: `fit=crop` for attention, `fit=cover` plus `gravity` for an edge, a corner or entropy, and
 * `fit=cover` alone for the centre — `fit=crop&gravity=north` and `fit=cover&gravity=top` are one rendition.
 * Ignored for every other fit (nothing is cropped).
 */
export const gravity: RenditionOperation = {
  name: 'gravity',
  query: ['gravity'],
  // After `resize` in the registry: the fit is known here.
  parse: (request, params) => {
    const name = request.param('gravity')?.trim().toLowerCase() ?? '';
    const requested = Object.hasOwn(GRAVITY_NAMES, name) ? GRAVITY_NAMES[name] : undefined;
    const { resize } = params;
    if (!requested || !crops(params) || resize?.kind !== 'box') return params;
    const canonical = {
      ...params,
      resize: { ...resize, fit: requested === 'attention' ? 'crop' : 'cover' },
    } as const;
    return requested === 'attention' || requested === 'centre'
      ? canonical
      : { ...canonical, gravity: requested };
  },
  transforms: (params) => params.gravity !== undefined,
  key: ({ gravity }) => (gravity === undefined ? '' : `-g${gravity}`),
  // The crop itself is the resize entry's step (one sharp resize): `cropPosition` tells it where.
  keepsPyramid: () => true,
};

/**
 * sharp's `position` for the resize of a cropping rendition. libvips' smart crops (attention, entropy) need the
 * whole scaled frame and do not work on animations: those crop at the centre.
 */
export function cropPosition(params: RenditionParams, animated: boolean): CropPosition {
  const position =
    params.gravity ??
    (params.resize?.kind === 'box' && params.resize.fit === 'crop' ? 'attention' : 'centre');
  return animated && (position === 'attention' || position === 'entropy') ? 'centre' : position;
}

/** SVG `preserveAspectRatio` alignment of a `slice` (cover) for a crop position; smart crops use the centre. */
export function svgAlignment(position: CropPosition): string {
  const x = /east$/.test(position) ? 'xMax' : /west$/.test(position) ? 'xMin' : 'xMid';
  const y = /^north/.test(position) ? 'YMin' : /^south/.test(position) ? 'YMax' : 'YMid';
  return `${x}${y}`;
}
