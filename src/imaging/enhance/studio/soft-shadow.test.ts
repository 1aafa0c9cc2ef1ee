import { describe, expect, it } from 'vitest';
import { sharp } from '../../sharp-lib.ts';
import { studioScene } from '../testing/studio-scenes.ts';
import { fitBackgroundModel } from './background-model.ts';
import { edgeStrength, rgbToLab } from './lab-image.ts';
import { findSoftShadows } from './soft-shadow.ts';
import { foregroundThreshold } from './trimap.ts';

/** The scene at 400 × 300 (the working size's order), through the shadow finder. */
async function shadowsOf(scene: Awaited<ReturnType<typeof studioScene>>) {
  const { width, height, data } = scene.image;
  const small = await sharp(data, { raw: { width, height, channels: 3 } })
    .resize(400, 300)
    .raw()
    .toBuffer();
  const lab = rgbToLab(small, 400, 300);
  const model = fitBackgroundModel(lab);
  return findSoftShadows(lab, model, edgeStrength(lab), foregroundThreshold(model.noise));
}

const GREY_PRODUCT = '<rect x="230" y="150" width="220" height="300" rx="30" fill="rgb(120,120,118)"/>';

describe('soft shadow finder', () => {
  it('finds the soft cast shadow beside a product, not the product', async () => {
    const found = await shadowsOf(await studioScene('shadow', { shadow: true }));
    expect(found.share).toBeGreaterThan(0.01);
    expect(found.shadow[220 * 400 + 260]).toBe(1); // in the shadow (full size 520, 440)
    expect(found.shadow[150 * 400 + 170]).toBe(0); // in the product
  });

  it('does not take a flat grey product for a shadow, even where it touches its own shadow', async () => {
    const found = await shadowsOf(await studioScene('grey', { shadow: true, product: GREY_PRODUCT }));
    expect(found.shadow[220 * 400 + 260]).toBe(1);
    for (const [x, y] of [
      [170, 150],
      [130, 100],
      [210, 200],
    ] as const) {
      expect(found.shadow[y * 400 + x]).toBe(0);
    }
  });

  it('finds nothing when there is no shadow', async () => {
    const found = await shadowsOf(await studioScene('plain', { product: GREY_PRODUCT }));
    expect(found.share).toBe(0);
  });
});
