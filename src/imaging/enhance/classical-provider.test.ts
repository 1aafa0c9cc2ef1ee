// The classical provider through its worker threads (piscina): masks, refusals as ProviderError, aborts.
import { afterAll, describe, expect, it } from 'vitest';
import { ImageWorkQueue } from '../image-work-queue.ts';
import { classicalProvider } from './classical-provider.ts';
import { ProviderError } from './provider-error.ts';
import { maskIou, studioScene } from './testing/studio-scenes.ts';

const queue = new ImageWorkQueue(2);
const provider = classicalProvider({ threads: 2, timeoutMs: 30_000 }, (job) => queue.run(job));
afterAll(() => provider.close?.());

describe('classical provider (worker threads)', () => {
  it('segments a studio photo in a worker and says what it removed', async () => {
    const scene = await studioScene('vignette with shadow', { shadow: true });
    const { mask, warnings } = await provider.segment(scene.image);
    expect([mask.width, mask.height]).toEqual([800, 600]);
    expect(maskIou(mask.data, scene.truth)).toBeGreaterThan(0.97);
    expect(warnings.map((w) => w.code)).toEqual(['shadow_removed']);
  });

  it('turns a refusal in the worker into a ProviderError with the reason', async () => {
    const scene = await studioScene('light on light', {
      product: '<rect x="230" y="150" width="220" height="300" fill="rgb(236,236,232)"/>',
      corner: 232,
      centre: 236,
      gradient: 0,
    });
    const failure = await provider.segment(scene.image).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as Error).message).toMatch(/stands out from the backdrop/);
  });

  it('stops waiting at once when aborted', async () => {
    const scene = await studioScene('plain');
    const controller = new AbortController();
    const reason = new Error('item cancelled');
    const attempt = provider.segment(scene.image, controller.signal);
    controller.abort(reason);
    await expect(attempt).rejects.toBe(reason);
  });

  it('fails with a timeout message when the worker takes too long', async () => {
    const slow = classicalProvider({ threads: 1, timeoutMs: 1 }, (job) => queue.run(job));
    const scene = await studioScene('plain');
    await expect(slow.segment(scene.image)).rejects.toThrow(/did not finish within/);
    await slow.close?.();
  });
});
