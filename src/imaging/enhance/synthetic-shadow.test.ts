import { describe, expect, it } from 'vitest';
import { createEnhancer } from './create-enhancer.ts';
import { drawContactShadow } from './synthetic-shadow.ts';
import { decodeOutput, frameIsPureWhite, nonWhiteBox } from './testing/measure-catalog-image.ts';
import { studioScene } from './testing/studio-scenes.ts';

describe('synthetic contact shadow', () => {
  const size = 200;
  const product = { left: 50, top: 40, width: 100, height: 120 };
  const inside = (x: number, y: number): boolean =>
    x >= product.left &&
    x < product.left + product.width &&
    y >= product.top &&
    y < product.top + product.height;

  it('darkens the white under the product, never the product or the frame', () => {
    const canvas = Buffer.alloc(size * size * 3, 255);
    drawContactShadow(canvas, size, product, (x, y) => (inside(x, y) ? 255 : 0));
    const at = (x: number, y: number): number => canvas[(y * size + x) * 3]!;
    expect(at(100, 160)).toBeLessThan(200); // just below the bottom edge, in the middle
    expect(at(100, 100)).toBe(255); // the product's pixels are left to the product
    expect(at(100, 175)).toBe(255); // it fades out before 1.25 half-heights (4.2 px)
    expect(at(20, 161)).toBe(255); // and beside the product
    expect(at(100, 30)).toBe(255); // nothing above
  });

  it('is drawn by the enhancer in place of a removed shadow when asked, with the frame still pure white', async () => {
    const scene = await studioScene('shadow', { shadow: true });
    const enhancer = createEnhancer({
      providers: ['classical'],
      timeoutMs: 30_000,
      onnxConcurrency: 1,
      onnxThreads: 1,
      shadow: 'synthetic',
    });
    const result = await enhancer
      .enhance({ input: scene.jpeg, preset: 'single_product_white_background', preservationLevel: 'strict' })
      .finally(() => enhancer.close());
    expect(result.warnings.find((w) => w.code === 'shadow_removed')?.message).toMatch(
      /clean soft shadow drawn/,
    );
    const output = await decodeOutput(result.image);
    expect(frameIsPureWhite(output)).toBe(true);
    const productBox = nonWhiteBox(output, 180); // the red product, not the light shadow
    const withShadow = nonWhiteBox(output, 254);
    if (!productBox || !withShadow) throw new Error('empty canvas');
    expect(withShadow.top + withShadow.height).toBeGreaterThan(productBox.top + productBox.height + 5);
  });

  it('refuses an unknown shadow handling', () => {
    expect(() =>
      createEnhancer({
        providers: ['classical'],
        timeoutMs: 1000,
        onnxConcurrency: 1,
        onnxThreads: 1,
        shadow: 'keep' as never,
      }),
    ).toThrow(TypeError);
  });
});
