// Selection and composing in the enhancement worker threads give exactly what they give on the calling thread,
// leave the caller's buffers alone, and stop at once when aborted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeCatalogImage } from './compose-catalog-image.ts';
import { EnhanceWorkers } from './enhance-workers.ts';
import { selectForeground } from './foreground-selection.ts';
import type { AlphaMask } from './pixel-buffers.ts';
import { type StudioScene, studioScene } from './testing/studio-scenes.ts';

const workers = new EnhanceWorkers({ threads: 1 });
afterAll(() => workers.close());

let scene: StudioScene;
let mask: AlphaMask;
beforeAll(async () => {
  scene = await studioScene('with a speck', { shadow: true });
  const { width, height } = scene.image;
  const data = new Uint8Array(width * height);
  for (let p = 0; p < data.length; p++) data[p] = scene.truth[p]! * 255;
  // A second object (dropped by `main`), soft edge values next to the product, haze far from it.
  for (let y = 40; y < 80; y++) data.fill(255, y * width + 600, y * width + 640);
  for (let y = 150; y < 450; y++) data[y * width + 229] = 90;
  for (let y = 500; y < 520; y++) data.fill(60, y * width + 50, y * width + 70);
  mask = { width, height, data };
});

describe('enhancement worker threads', () => {
  it('select the same objects as on the calling thread', async () => {
    for (const keep of ['main', 'all'] as const) {
      expect(await workers.selectForeground(mask, keep)).toEqual(selectForeground(mask, keep));
    }
    const empty = { width: 10, height: 10, data: new Uint8Array(100) };
    expect(await workers.selectForeground(empty, 'main')).toBeNull();
  });

  it('compose the same catalog image, byte for byte, and leave the caller its buffers', async () => {
    const selection = selectForeground(mask, 'main')!;
    const request = {
      image: scene.image,
      mask,
      selection,
      preset: 'single_product_white_background',
      preservationLevel: 'creative',
      syntheticShadow: true,
    } as const;
    const before = { image: Buffer.from(scene.image.data), mask: Buffer.from(mask.data) };
    const inWorker = await workers.compose(request);
    const here = await composeCatalogImage(request);
    expect(Buffer.isBuffer(inWorker.image)).toBe(true);
    expect(inWorker.image.equals(here.image)).toBe(true);
    expect(inWorker.thumbnail.equals(here.thumbnail)).toBe(true);
    expect([inWorker.width, inWorker.height]).toEqual([here.width, here.height]);
    expect(inWorker.warnings).toEqual(here.warnings);
    expect(inWorker.warnings.map((w) => w.code)).toContain('multiple_products');
    expect(before.image.equals(scene.image.data)).toBe(true);
    expect(before.mask.equals(mask.data)).toBe(true);
    expect(selection.alpha.byteLength).toBe(mask.data.length);
  });

  it('reject with the signal’s reason when aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('item cancelled');
    const attempt = workers.compose(
      {
        image: scene.image,
        mask,
        selection: selectForeground(mask, 'all')!,
        preset: 'clean_catalog_group',
        preservationLevel: 'strict',
      },
      controller.signal,
    );
    controller.abort(reason);
    await expect(attempt).rejects.toBe(reason);
  });
});
