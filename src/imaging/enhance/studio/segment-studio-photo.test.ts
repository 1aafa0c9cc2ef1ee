import { beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../provider-error.ts';
import { maskIou, studioScene } from '../testing/studio-scenes.ts';
import { loadOpenCv, type OpenCv } from './opencv.ts';
import { segmentStudioPhoto } from './segment-studio-photo.ts';

let cv: OpenCv;
beforeAll(async () => {
  cv = await loadOpenCv();
});

describe('classical studio segmenter', () => {
  it('takes the flood-fill fast path on a uniform backdrop without a shadow', async () => {
    const scene = await studioScene('plain', { centre: 240, corner: 240, gradient: 0 });
    const result = await segmentStudioPhoto(cv, scene.image);
    expect(result.path).toBe('flood');
    expect(maskIou(result.mask, scene.truth)).toBeGreaterThan(0.97);
    expect(result.warnings).toEqual([]);
  });

  it('cuts a product out of a vignetted sweep and leaves its soft shadow behind', async () => {
    const scene = await studioScene('vignette with shadow', { shadow: true, noise: 2 });
    const result = await segmentStudioPhoto(cv, scene.image);
    expect(result.path).toBe('studio');
    expect(maskIou(result.mask, scene.truth)).toBeGreaterThan(0.97);
    expect(result.warnings.map((w) => w.code)).toEqual(['shadow_removed']);
    expect(result.confidence.refusal).toBeNull();
  });

  it('keeps a product that runs off the frame whole', async () => {
    const scene = await studioScene('touching', {
      product: '<rect x="500" y="200" width="300" height="400" fill="rgb(40,60,150)"/>',
    });
    const result = await segmentStudioPhoto(cv, scene.image);
    expect(maskIou(result.mask, scene.truth)).toBeGreaterThan(0.97);
  });

  it('refuses a white product on a light sweep instead of returning its rim', async () => {
    const scene = await studioScene('light on light', {
      centre: 240,
      corner: 225,
      product: '<rect x="230" y="150" width="220" height="300" rx="30" fill="rgb(246,246,242)"/>',
    });
    const attempt = segmentStudioPhoto(cv, scene.image);
    await expect(attempt).rejects.toBeInstanceOf(ProviderError);
    await expect(attempt).rejects.toThrow(/could not find the product's outline/);
  });

  it('gives the mask at full resolution with a soft edge of a few pixels', async () => {
    const scene = await studioScene('edge', { shadow: true });
    const { mask } = await segmentStudioPhoto(cv, scene.image);
    expect(mask.length).toBe(800 * 600);
    // The product's left edge is at x = 230 (row 300): backdrop well before it, product well after it.
    expect(mask[300 * 800 + 224]).toBe(0);
    expect(mask[300 * 800 + 236]).toBe(255);
  });
});
