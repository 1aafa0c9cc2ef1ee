import { Type } from '@sinclair/typebox';
import {
  PRESERVATION_LEVEL_IDS,
  PRESET_IDS,
  PRESETS,
  type PreservationLevel,
  type PresetId,
} from '../imaging/enhance/presets.ts';

export type { PreservationLevel, PresetId } from '../imaging/enhance/presets.ts';
export { PRESERVATION_LEVEL_IDS } from '../imaging/enhance/presets.ts';

/** What `GET /api/v1/product-image-enhancement-presets` lists, in the registry's order. */
export const PRESET_LIST = PRESET_IDS.map((id) => ({
  id,
  name: PRESETS[id].name,
  description: PRESETS[id].description,
}));

/** `preset` of a create request: one literal per registry entry. */
export const PresetSchema = Type.Union(PRESET_IDS.map((id) => Type.Literal(id)));

/** `preservation_level` of a create request: one literal per registry entry. */
export const PreservationLevelSchema = Type.Union(PRESERVATION_LEVEL_IDS.map((id) => Type.Literal(id)));

export const DEFAULT_PRESET: PresetId = 'single_product_white_background';

export const DEFAULT_PRESERVATION_LEVEL: PreservationLevel = 'strict';
