// The one registry of enhancement presets and preservation levels. Everything else derives from these
// two tables: the TS types, the run-time checks, the create route's schema, the presets endpoint, the
// colour policy and the docs table (checked by src/enhancements/presets.test.ts). It lives in imaging
// because the pipeline switches on it and imaging may not import the domain; `enhancements/` re-exports.

export interface PresetSpec {
  /** Shown by `GET /api/v1/product-image-enhancement-presets`. */
  readonly name: string;
  readonly description: string;
  /**
   * Square canvas side range (px). The product is drawn at its own size where that fits (no resampling
   * for nothing), clamped to this range.
   */
  readonly canvas: { readonly min: number; readonly max: number };
  /** Share of the canvas side taken by the product box's longer side; the rest is white margin. */
  readonly productFill: number;
  /** `main`: the largest object only (others dropped, with a warning); `all`: every significant object. */
  readonly keep: 'main' | 'all';
}

/**
 * Key order is the order of the presets endpoint, the schema union and the docs table.
 * Canvas: at least 1000 px (1600 for marketplaces, their usual minimum for zoom), at most 2000 px
 * (bigger files for no visible gain in a catalog).
 */
export const PRESETS = {
  single_product_white_background: {
    name: 'Single product on white',
    description:
      'One product, isolated on a pure white (RGB 255) background, centred, filling about 85% of a square canvas.',
    canvas: { min: 1000, max: 2000 },
    productFill: 0.85,
    keep: 'main',
  },
  marketplace_clean_catalog: {
    name: 'Marketplace clean catalog',
    description:
      'Marketplace listing rules: square, at least 1600 px, white background, product about 85% of the frame, sRGB JPEG, no transparency.',
    canvas: { min: 1600, max: 2000 },
    productFill: 0.85,
    keep: 'main',
  },
  clean_catalog_group: {
    name: 'Clean catalog group',
    description: 'Several products kept together as one group on white, none cropped.',
    canvas: { min: 1000, max: 2000 },
    productFill: 0.85,
    keep: 'all',
  },
} as const satisfies Readonly<Record<string, PresetSpec>>;

export type PresetId = keyof typeof PRESETS;
export const PRESET_IDS = Object.keys(PRESETS) as readonly PresetId[];

/** `Object.hasOwn`, not `in`: `'toString'` is not a preset. */
export const isPresetId = (value: unknown): value is PresetId =>
  typeof value === 'string' && Object.hasOwn(PRESETS, value);

export interface PreservationPolicy {
  /** Largest levels gain. */
  readonly maxGain: number;
  /** Whether the black point may move; without it the map is a pure gain and channel ratios hold. */
  readonly blackPoint: boolean;
  readonly whiteBalance: boolean;
  /** Contrast around the product's median luminance (1 = none). */
  readonly contrast: number;
  /** Extra saturation for muted colours (0 = none). */
  readonly vibrance: number;
}

/**
 * strict keeps the product's colours: one gain for all channels from the white point, ≤ 1.2, so every
 * channel ratio (hue and saturation) is unchanged. balanced adds the black point (one linear map for all
 * channels, hue angle unchanged) and a bounded white balance. creative allows more gain, a little
 * contrast and vibrance. Key order is the schema union's and the docs'.
 */
export const PRESERVATION_LEVELS = {
  strict: { maxGain: 1.2, blackPoint: false, whiteBalance: false, contrast: 1, vibrance: 0 },
  balanced: { maxGain: 1.35, blackPoint: true, whiteBalance: true, contrast: 1, vibrance: 0 },
  creative: { maxGain: 1.5, blackPoint: true, whiteBalance: true, contrast: 1.08, vibrance: 0.25 },
} as const satisfies Readonly<Record<string, PreservationPolicy>>;

export type PreservationLevel = keyof typeof PRESERVATION_LEVELS;
export const PRESERVATION_LEVEL_IDS = Object.keys(PRESERVATION_LEVELS) as readonly PreservationLevel[];

export const isPreservationLevel = (value: unknown): value is PreservationLevel =>
  typeof value === 'string' && Object.hasOwn(PRESERVATION_LEVELS, value);
