import { describe, expect, it } from 'vitest';
import { planColourCorrection } from './colour-correction.ts';
import type { Rgb, RgbImage } from './pixel-buffers.ts';

/** A product of two flat colours (half each), fully opaque. */
function product(a: Rgb, b: Rgb): { image: RgbImage; alpha: Uint8Array } {
  const width = 100;
  const height = 100;
  const data = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(p < (width * height) / 2 ? a : b, p * 3);
  return { image: { width, height, data }, alpha: new Uint8Array(width * height).fill(255) };
}

const whole = { left: 0, top: 0, width: 100, height: 100 };

function corrected(plan: ReturnType<typeof planColourCorrection>, colour: Rgb): Rgb {
  const out = new Float32Array(3);
  plan.correct(colour[0], colour[1], colour[2], out);
  return [out[0]!, out[1]!, out[2]!];
}

describe('planColourCorrection', () => {
  it('strict: one gain from the white point, capped at 1.2, every channel ratio kept', () => {
    const { image, alpha } = product([40, 60, 120], [150, 160, 170]);
    const plan = planColourCorrection(image, alpha, whole, 'strict', [230, 230, 230]);
    expect(plan.gain).toBeCloseTo(1.2, 5);
    const [r, g, b] = corrected(plan, [40, 60, 120]);
    expect([r / 40, g / 60, b / 120]).toEqual([1.2, 1.2, 1.2].map((v) => expect.closeTo(v, 5)));
    expect(plan.whiteBalance).toEqual([1, 1, 1]);
  });

  it('strict leaves an already bright product alone', () => {
    const { image, alpha } = product([255, 255, 255], [200, 180, 160]);
    const plan = planColourCorrection(image, alpha, whole, 'strict', null);
    expect(plan.gain).toBe(1);
    expect(corrected(plan, [200, 180, 160])).toEqual([200, 180, 160]);
  });

  it('balanced: black and white points within the gain cap, white balance bounded to ±10 %', () => {
    const { image, alpha } = product([60, 60, 60], [180, 180, 180]);
    const plan = planColourCorrection(image, alpha, whole, 'balanced', [245, 235, 215]);
    expect(plan.gain).toBeLessThanOrEqual(1.35);
    expect(plan.gain).toBeGreaterThan(1);
    for (const g of plan.whiteBalance) {
      expect(g).toBeGreaterThanOrEqual(0.9);
      expect(g).toBeLessThanOrEqual(1.1);
    }
    expect(plan.whiteBalance[2]).toBeGreaterThan(plan.whiteBalance[0]); // blue lifted against the warm cast
  });

  it('balanced leaves white balance alone on a coloured backdrop, and says so', () => {
    const { image, alpha } = product([60, 60, 60], [180, 180, 180]);
    const plan = planColourCorrection(image, alpha, whole, 'balanced', [40, 90, 200]);
    expect(plan.whiteBalance).toEqual([1, 1, 1]);
    expect(plan.warnings).toEqual([
      { code: 'white_balance_skipped', message: expect.stringMatching(/white balance was left unchanged/) },
    ]);
  });

  it('creative: muted colours gain saturation, within the 0..255 range', () => {
    const { image, alpha } = product([120, 100, 90], [200, 190, 185]);
    const balanced = corrected(
      planColourCorrection(image, alpha, whole, 'balanced', [240, 240, 240]),
      [120, 100, 90],
    );
    const creative = corrected(
      planColourCorrection(image, alpha, whole, 'creative', [240, 240, 240]),
      [120, 100, 90],
    );
    const chroma = (c: Rgb): number => Math.max(...c) - Math.min(...c);
    expect(chroma(creative)).toBeGreaterThan(chroma(balanced));
    for (const v of creative) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(255);
    }
  });

  it('ignores soft edge pixels when measuring the product', () => {
    const { image, alpha } = product([40, 40, 40], [255, 255, 255]);
    alpha.fill(150, 5000); // the white half is only a soft edge
    const plan = planColourCorrection(image, alpha, whole, 'strict', null);
    expect(plan.gain).toBeCloseTo(1.2, 5); // measured on the dark half alone
  });
});
