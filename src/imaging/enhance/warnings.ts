// The one registry of item warnings: what an enhancement result says about what was done or could not be done
// well. The code travels to API users (`items[].warnings[].code`, docs/enhancement.md lists every one); the
// message is a plain sentence about this image. A new warning is one entry here plus its docs row.

export const ENHANCE_WARNINGS = {
  upscaled: 'The product was enlarged by more than 2× to fill the canvas and may look soft.',
  low_confidence_edges:
    'The product is close to the background in colour; parts of its outline may be imprecise.',
  shadow_removed: 'A cast shadow next to the product was treated as background and removed.',
  product_touches_frame: 'The product touches the edge of the photo and may be cut off.',
  multiple_products: 'Other objects were found and removed; only the main product is kept.',
  white_balance_skipped:
    'The background is not a neutral light colour, so the white balance was left unchanged.',
} as const satisfies Readonly<Record<string, string>>;

export type EnhanceWarningCode = keyof typeof ENHANCE_WARNINGS;
export const ENHANCE_WARNING_CODES = Object.keys(ENHANCE_WARNINGS) as readonly EnhanceWarningCode[];

export interface EnhanceWarning {
  readonly code: EnhanceWarningCode;
  /** About this image (numbers included); defaults to the registry's general sentence. */
  readonly message: string;
}

export function warning(code: EnhanceWarningCode, message: string = ENHANCE_WARNINGS[code]): EnhanceWarning {
  return { code, message };
}
