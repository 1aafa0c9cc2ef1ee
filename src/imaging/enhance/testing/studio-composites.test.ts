import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectForeground } from '../foreground-selection.ts';
import type { AlphaMask } from '../pixel-buffers.ts';
import {
  type EvaluationCase,
  HOLDOUT_COMPOSITE_NAMES,
  maskIoU,
  QUICK_COMPOSITE_NAMES,
  STUDIO_COMPOSITE_NAMES,
  studioComposite,
  studioComposites,
} from './studio-composites.ts';

const digest = (c: EvaluationCase): string =>
  createHash('sha256').update(c.image.data).update(c.truth.data).digest('hex');

const foregroundShare = (mask: AlphaMask): number => {
  let count = 0;
  for (const alpha of mask.data) if (alpha >= 128) count++;
  return count / mask.data.length;
};

/** Share of the outermost pixel ring that the truth calls product. */
const borderShare = (mask: AlphaMask): number => {
  const { width, height, data } = mask;
  let product = 0;
  let total = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (x !== 0 && y !== 0 && x !== width - 1 && y !== height - 1) continue;
      total++;
      if (data[y * width + x]! >= 128) product++;
    }
  }
  return product / total;
};

const pixel = (c: EvaluationCase, x: number, y: number): number[] => {
  const at = (y * c.image.width + x) * 3;
  return [c.image.data[at]!, c.image.data[at + 1]!, c.image.data[at + 2]!];
};
const brightness = (rgb: number[]): number => (rgb[0]! + rgb[1]! + rgb[2]!) / 3;

describe('studio composites', () => {
  let cases: EvaluationCase[];

  beforeAll(async () => {
    cases = await studioComposites([...STUDIO_COMPOSITE_NAMES, ...HOLDOUT_COMPOSITE_NAMES]);
  }, 180_000);

  it('are the same bytes every time they are drawn', async () => {
    for (const name of ['apple-shadow', 'small-bottle']) {
      const again = await studioComposite(name);
      expect(digest(again)).toBe(digest(cases.find((c) => c.name === name)!));
    }
  });

  it('differ from one case to the next', () => {
    expect(new Set(cases.map(digest)).size).toBe(cases.length);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const name of HOLDOUT_COMPOSITE_NAMES) expect(STUDIO_COMPOSITE_NAMES).not.toContain(name);
    for (const name of QUICK_COMPOSITE_NAMES) expect(STUDIO_COMPOSITE_NAMES).toContain(name);
  });

  it('cover every category the benchmark reports on', () => {
    expect(new Set(cases.map((c) => c.category))).toEqual(
      new Set([
        'studio',
        'shadow',
        'mottled',
        'light-on-light',
        'dark-on-dark',
        'group',
        'touches-frame',
        'small-source',
      ]),
    );
    expect(cases.some((c) => c.expect === 'refuse-ok')).toBe(true);
  });

  it('have a truth mask of the image size with a plausible product area', () => {
    for (const c of cases) {
      expect(c.image.data.length, c.name).toBe(c.image.width * c.image.height * 3);
      expect([c.truth.width, c.truth.height], c.name).toEqual([c.image.width, c.image.height]);
      expect(c.truth.data.length, c.name).toBe(c.truth.width * c.truth.height);
      const share = foregroundShare(c.truth);
      expect(share, c.name).toBeGreaterThan(0.02); // a desk lamp is mostly thin parts
      expect(share, c.name).toBeLessThan(0.5);
    }
  });

  it('are 1200×900 photos, except the small sources at 128×96', () => {
    for (const c of cases) {
      const size = c.category === 'small-source' ? [128, 96] : [1200, 900];
      expect([c.image.width, c.image.height], c.name).toEqual(size);
    }
  });

  it('touch the frame only in the cases meant to', () => {
    for (const c of cases) {
      const share = borderShare(c.truth);
      if (c.category === 'touches-frame') expect(share, c.name).toBeGreaterThan(0.01);
      else expect(share, c.name).toBe(0);
    }
  });

  it('show as many separate products as they say (the touching bottles are one object)', () => {
    for (const c of cases) {
      const objects = selectForeground(c.truth, 'all')?.kept;
      expect(objects, c.name).toBe(c.name === 'bottles-touching-group' ? 1 : c.productCount);
      if (c.category === 'group') expect(c.productCount, c.name).toBeGreaterThan(1);
    }
  });

  it('keep a cast shadow out of the truth, although it darkens the backdrop', () => {
    const apple = cases.find((c) => c.name === 'apple-shadow')!;
    // (880, 650) is in the shadow to the right of the apple; (1150, 650) is open backdrop at the same height.
    expect(apple.truth.data[650 * 1200 + 880]).toBe(0);
    expect(brightness(pixel(apple, 1150, 650)) - brightness(pixel(apple, 880, 650))).toBeGreaterThan(40);
  });

  it('leave the hole of a mug handle out of the truth', () => {
    const mug = cases.find((c) => c.name === 'mug-handle-mottled')!;
    // The handle is a ring of radius 112 around (740, 480); its centre is backdrop, its rim product.
    expect(mug.truth.data[480 * 1200 + 770]).toBe(0);
    expect(mug.truth.data[480 * 1200 + 740 + 112]).toBe(255);
  });

  it('carry product colour where the truth says product', () => {
    const bottle = cases.find((c) => c.name === 'amber-bottle-sweep')!;
    expect(bottle.truth.data[700 * 1200 + 620]).toBe(255);
    const [r, , b] = pixel(bottle, 620, 700);
    expect(r! - b!).toBeGreaterThan(60); // amber glass, not the grey backdrop
  });
});

describe('maskIoU', () => {
  const mask = (bits: number[]): AlphaMask => ({
    width: bits.length,
    height: 1,
    data: Uint8Array.from(bits),
  });

  it('is intersection over union of the pixels at α ≥ 128', () => {
    expect(maskIoU(mask([255, 255, 0, 0]), mask([255, 128, 127, 0]))).toBe(1);
    expect(maskIoU(mask([255, 255, 0, 0]), mask([0, 255, 255, 0]))).toBeCloseTo(1 / 3);
    expect(maskIoU(mask([0, 0]), mask([0, 0]))).toBe(1);
    expect(maskIoU(mask([255, 0]), mask([0, 255]))).toBe(0);
  });

  it('refuses masks of different sizes', () => {
    expect(() => maskIoU(mask([0, 0]), mask([0]))).toThrow(TypeError);
  });
});
