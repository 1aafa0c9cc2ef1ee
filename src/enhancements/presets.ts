export const PRESETS = [
  {
    id: 'single_product_white_background',
    name: 'Single product on white',
    description:
      'One product, isolated on a pure white (RGB 255) background, centred, filling about 85% of a square canvas.',
  },
  {
    id: 'marketplace_clean_catalog',
    name: 'Marketplace clean catalog',
    description:
      'Marketplace listing rules: square, at least 1600 px, white background, product about 85% of the frame, sRGB JPEG, no transparency.',
  },
  {
    id: 'clean_catalog_group',
    name: 'Clean catalog group',
    description: 'Several products kept together as one group on white, none cropped.',
  },
] as const;

export type PresetId = (typeof PRESETS)[number]['id'];
export const PRESET_IDS = PRESETS.map((p) => p.id) as PresetId[];
