import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnhancer } from './create-enhancer.ts';
import type { EnhancePreset, EnhanceResult, PreservationLevel } from './enhance-types.ts';
import type { Box, Rgb } from './pixel-buffers.ts';
import { PRESET_IDS, PRESETS } from './presets.ts';
import { ProviderError } from './provider-error.ts';
import {
  type DecodedOutput,
  decodeOutput,
  frameIsPureWhite,
  hueDegrees,
  nonWhiteBox,
  patchMean,
} from './testing/measure-catalog-image.ts';
import {
  clutteredPhoto,
  darkProductPhoto,
  labelledProductPhoto,
  lightProductPhoto,
  noisyBackdropPhoto,
  type ProductPhoto,
  twoProductsPhoto,
  warmCastPhoto,
} from './testing/product-photos.ts';

const enhancer = createEnhancer({
  providers: ['classical'],
  timeoutMs: 30_000,
  onnxConcurrency: 1,
  onnxThreads: 1,
});
afterAll(() => enhancer.close());

interface Enhanced {
  readonly result: EnhanceResult;
  readonly output: DecodedOutput;
  readonly input: DecodedOutput;
}

async function enhance(
  photo: ProductPhoto,
  preset: EnhancePreset = 'single_product_white_background',
  preservationLevel: PreservationLevel = 'strict',
): Promise<Enhanced> {
  const result = await enhancer.enhance({ input: photo.jpeg, preset, preservationLevel });
  return { result, output: await decodeOutput(result.image), input: await decodeOutput(photo.jpeg) };
}

/** The catalog rules every preset shares. */
function expectCatalogImage({ result, output }: Enhanced, minSide = 1000): Box {
  expect(output.format).toBe('jpeg');
  expect([output.space, output.hasProfile]).toEqual(['srgb', true]);
  expect(output.channels).toBe(3);
  expect(output.width).toBe(output.height);
  expect(output.width).toBeGreaterThanOrEqual(minSide);
  expect([result.width, result.height]).toEqual([output.width, output.height]);
  expect(frameIsPureWhite(output, 0.02)).toBe(true);
  const box = nonWhiteBox(output);
  expect(box).not.toBeNull();
  const size = output.width;
  const longSide = Math.max(box!.width, box!.height) / size;
  expect(longSide).toBeGreaterThan(0.84);
  expect(longSide).toBeLessThan(0.86);
  expect(Math.abs(box!.left + box!.width / 2 - size / 2) / size).toBeLessThan(0.01);
  expect(Math.abs(box!.top + box!.height / 2 - size / 2) / size).toBeLessThan(0.01);
  return box!;
}

/** Where a point of the source lands on the canvas, given the product box in both. */
function mapPoint(source: Box, canvas: Box, x: number, y: number): [number, number] {
  const scale = canvas.height / source.height;
  return [
    Math.round(canvas.left + (x - source.left) * scale),
    Math.round(canvas.top + (y - source.top) * scale),
  ];
}

const ratios = (after: Rgb, before: Rgb): number[] => after.map((v, i) => v / before[i]!);

describe('enhancer with the classical provider', () => {
  let dark: ProductPhoto;
  let labelled: Awaited<ReturnType<typeof labelledProductPhoto>>;
  let two: ProductPhoto;
  let light: ProductPhoto;
  let noisy: ProductPhoto;
  let warm: ProductPhoto;

  beforeAll(async () => {
    [dark, labelled, two, light, noisy, warm] = await Promise.all([
      darkProductPhoto(),
      labelledProductPhoto(),
      twoProductsPhoto(),
      lightProductPhoto(),
      noisyBackdropPhoto(),
      warmCastPhoto(),
    ]);
  });

  // Registry-wide: a preset added to presets.ts is held to its own canvas and fill here without a new test.
  it.each(PRESET_IDS)('%s: its own canvas range and product fill, centred, on pure white', async (id) => {
    const spec = PRESETS[id];
    const { output } = await enhance(spec.keep === 'all' ? two : dark, id);
    expect(output.width).toBe(output.height);
    expect(output.width).toBeGreaterThanOrEqual(spec.canvas.min);
    expect(output.width).toBeLessThanOrEqual(spec.canvas.max);
    expect(frameIsPureWhite(output, 0.02)).toBe(true);
    const box = nonWhiteBox(output)!;
    expect(Math.abs(Math.max(box.width, box.height) / output.width - spec.productFill)).toBeLessThan(0.01);
    expect(Math.abs(box.left + box.width / 2 - output.width / 2) / output.width).toBeLessThan(0.01);
    expect(Math.abs(box.top + box.height / 2 - output.height / 2) / output.height).toBeLessThan(0.01);
  });

  it('puts a dark product on pure white, centred at 85 %, colours strictly preserved', async () => {
    const enhanced = await enhance(dark);
    expect(enhanced.result.provider).toBe('classical');
    expect(enhanced.result.warnings).toEqual([]);
    const box = expectCatalogImage(enhanced);
    const [x, y] = mapPoint(dark.products[0]!, box, dark.patch.x, dark.patch.y);
    const before = patchMean(enhanced.input, dark.patch.x, dark.patch.y);
    const after = patchMean(enhanced.output, x, y);
    const r = ratios(after, before);
    // strict: one gain for every channel (no hue or saturation change), at most 1.2.
    expect(Math.max(...r) / Math.min(...r)).toBeLessThan(1.03);
    for (const ratio of r) {
      expect(ratio).toBeGreaterThanOrEqual(0.98);
      expect(ratio).toBeLessThanOrEqual(1.22);
    }
    expect(enhanced.result.thumbnail.length).toBeGreaterThan(0);
    const thumbnail = await decodeOutput(enhanced.result.thumbnail);
    expect([thumbnail.format, thumbnail.width, thumbnail.height, thumbnail.channels]).toEqual([
      'jpeg',
      400,
      400,
      3,
    ]);
  });

  it('keeps a light label enclosed by the product', async () => {
    const enhanced = await enhance(labelled);
    const box = expectCatalogImage(enhanced);
    const { label } = labelled;
    const [x, y] = mapPoint(
      labelled.products[0]!,
      box,
      label.left + label.width / 2,
      label.top + label.height / 2,
    );
    const labelColour = patchMean(enhanced.output, x, y, 10);
    // The label is close to the backdrop colour; removed, it would be canvas white (255, 255, 255).
    expect(Math.min(...labelColour)).toBeLessThan(250);
    const before = patchMean(enhanced.input, label.left + label.width / 2, label.top + label.height / 2, 10);
    const r = ratios(labelColour, before);
    expect(Math.max(...r) / Math.min(...r)).toBeLessThan(1.03);
  });

  it('keeps the larger of two products for a single-product preset and says so', async () => {
    const enhanced = await enhance(two);
    const box = expectCatalogImage(enhanced);
    const [large] = two.products;
    // Only the tall box is left: the canvas box has the large product's proportions.
    expect(box.width / box.height).toBeCloseTo(large!.width / large!.height, 1);
    expect(enhanced.result.warnings).toEqual([
      { code: 'multiple_products', message: expect.stringMatching(/1 other object was removed/) },
    ]);
  });

  it('keeps both products together for the group preset', async () => {
    const enhanced = await enhance(two, 'clean_catalog_group');
    const box = expectCatalogImage(enhanced);
    expect(enhanced.result.warnings).toEqual([]);
    const [large, small] = two.products as [Box, Box];
    const groupWidth = small.left + small.width - large.left;
    const groupHeight = large.height;
    expect(box.width / box.height).toBeCloseTo(groupWidth / groupHeight, 1);
    // The green product is there, on the right half.
    const [x, y] = mapPoint(
      { ...large, width: groupWidth },
      box,
      small.left + small.width / 2,
      small.top + small.height / 2,
    );
    expect(x).toBeGreaterThan(enhanced.output.width / 2);
    const green = patchMean(enhanced.output, x, y, 10);
    expect(green[1]).toBeGreaterThan(green[0] + 40);
  });

  it('makes a marketplace image of at least 1600 px', async () => {
    const enhanced = await enhance(dark, 'marketplace_clean_catalog');
    expectCatalogImage(enhanced, 1600);
    expect(enhanced.output.width).toBe(1600);
    // The product was 560 px tall: enlarged 2.4×, which the caller hears about.
    expect(enhanced.result.warnings).toEqual([
      { code: 'upscaled', message: expect.stringMatching(/enlarged 2\.4×/) },
    ]);
  });

  it('handles a light product on a light backdrop, with a warning about its edges', async () => {
    const enhanced = await enhance(light);
    const box = expectCatalogImage(enhanced);
    const [product] = light.products;
    expect(box.width / box.height).toBeCloseTo(product!.width / product!.height, 1);
    expect(enhanced.result.warnings).toEqual([
      { code: 'low_confidence_edges', message: expect.stringMatching(/close to the backdrop in colour/) },
    ]);
  });

  it('copes with sensor noise on a plain backdrop', async () => {
    const enhanced = await enhance(noisy);
    const box = expectCatalogImage(enhanced);
    const [product] = noisy.products;
    expect(box.width / box.height).toBeCloseTo(product!.width / product!.height, 1);
  });

  it('refuses a cluttered background with a ProviderError rather than a bad cut-out', async () => {
    const cluttered = await clutteredPhoto();
    const attempt = enhancer.enhance({
      input: cluttered.jpeg,
      preset: 'single_product_white_background',
      preservationLevel: 'strict',
    });
    await expect(attempt).rejects.toBeInstanceOf(ProviderError);
    await expect(attempt).rejects.toThrow(/needs a studio backdrop around the product/);
  });

  it('stays within each preservation level', async () => {
    const patch = (e: Enhanced): { before: Rgb; after: Rgb } => {
      const box = nonWhiteBox(e.output)!;
      const [x, y] = mapPoint(warm.products[0]!, box, warm.patch.x, warm.patch.y);
      return { before: patchMean(e.input, warm.patch.x, warm.patch.y), after: patchMean(e.output, x, y) };
    };
    const spread = (c: Rgb): number => Math.max(...c) - Math.min(...c);
    const strict = patch(await enhance(warm, 'single_product_white_background', 'strict'));
    const balanced = patch(await enhance(warm, 'single_product_white_background', 'balanced'));
    const creative = patch(await enhance(warm, 'single_product_white_background', 'creative'));

    const strictRatios = ratios(strict.after, strict.before);
    expect(Math.max(...strictRatios) / Math.min(...strictRatios)).toBeLessThan(1.03);
    expect(Math.max(...strictRatios)).toBeLessThanOrEqual(1.22);

    // balanced: white balance from the warm backdrop makes the grey product more neutral (bounded ±10 %)...
    expect(spread(balanced.after)).toBeLessThan(spread(balanced.before) * 0.7);
    for (const ratio of ratios(balanced.after, balanced.before)) {
      expect(ratio).toBeGreaterThan(0.75);
      expect(ratio).toBeLessThan(1.4);
    }
    // ...and creative goes further (contrast, vibrance), still recognisably the same colour.
    expect(Math.abs(hueDegrees(creative.after) - hueDegrees(balanced.after))).toBeLessThan(15);
    for (const ratio of ratios(creative.after, creative.before)) {
      expect(ratio).toBeGreaterThan(0.6);
      expect(ratio).toBeLessThan(1.6);
    }
  });
});
