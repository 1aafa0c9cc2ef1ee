import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createEnhancer } from './create-enhancer.ts';
import { MODEL_PROFILES } from './model-profiles.ts';
import { toImageMask, toModelInput } from './onnx-provider.ts';
import { OnnxWorkerPool } from './onnx-worker-pool.ts';
import { ProviderError } from './provider-error.ts';
import { decodeOutput, frameIsPureWhite, nonWhiteBox } from './testing/measure-catalog-image.ts';
import { darkProductPhoto } from './testing/product-photos.ts';

// input → mean over channels → × −20 → sigmoid: dark pixels ≈ 1, light ones ≈ 0 (see make-tiny-models.py).
// The other profiles' stand-ins are exercised in onnx-profiles.test.ts.
const TINY_MODEL = fileURLToPath(new URL('./fixtures/tiny-isnet.onnx', import.meta.url));
const MODEL_SIDE = MODEL_PROFILES.isnet.input.width;
const PLANE = MODEL_SIDE * MODEL_SIDE;
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Model input where every value is `v` (already normalised). */
const flat = (v: number): Float32Array => new Float32Array(3 * PLANE).fill(v);

const pools: OnnxWorkerPool[] = [];
function pool(concurrency = 1): OnnxWorkerPool {
  const created = new OnnxWorkerPool({ modelPath: TINY_MODEL, concurrency, threads: 1 });
  pools.push(created);
  return created;
}
afterAll(() => Promise.all(pools.map((p) => p.close())));

describe('ONNX preprocessing', () => {
  it('squeezes the image to 1024², CHW float32, (v − 127.5) / 255 (ISNet, the default profile)', async () => {
    const width = 300;
    const height = 200;
    const data = Buffer.alloc(width * height * 3);
    for (let p = 0; p < width * height; p++) data.set([200, 128, 0], p * 3);
    const pixels = await toModelInput({ width, height, data });
    expect(pixels).toBeInstanceOf(Float32Array);
    expect(pixels.length).toBe(3 * PLANE);
    expect(pixels[0]).toBeCloseTo(72.5 / 255, 5); // red plane first
    expect(pixels[PLANE + 12345]).toBeCloseTo(0.5 / 255, 5);
    expect(pixels[2 * PLANE + 999]).toBeCloseTo(-0.5, 5);
  });

  it('stretches the model output back to the image size as a one-channel mask', async () => {
    const output = new Float32Array(PLANE);
    for (let y = 0; y < MODEL_SIDE; y++) output.fill(1, y * MODEL_SIDE, y * MODEL_SIDE + MODEL_SIDE / 2);
    const mask = await toImageMask(output, 300, 200);
    expect([mask.width, mask.height, mask.data.length]).toEqual([300, 200, 300 * 200]);
    expect(mask.data[100 * 300 + 10]).toBe(255);
    expect(mask.data[100 * 300 + 290]).toBe(0);
  });
});

describe('ONNX worker pool (tiny stand-in model: plumbing, not segmentation quality)', () => {
  it('runs the model in a worker, loading the session once, and reads the `output_image` tensor', async () => {
    const workers = pool();
    const first = await workers.run(flat(-0.3), 20_000);
    const second = await workers.run(flat(0.4), 20_000);
    expect(first.length).toBe(PLANE);
    // The model's first output is a side output (the channel mean): the provider must ask for `output_image`.
    expect(first[0]).toBeCloseTo(sigmoid(6), 4);
    expect(second[PLANE - 1]).toBeCloseTo(sigmoid(-8), 4);
    expect(workers.stats).toMatchObject({ workersStarted: 1, sessionLoads: 1, running: 0, timeouts: 0 });
  });

  it('never runs more inferences at once than its concurrency', async () => {
    const workers = pool(2);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => workers.run(flat(i % 2 ? -0.3 : 0.3), 20_000)),
    );
    expect(results.map((r) => r[0]! > 0.5)).toEqual([false, true, false, true, false, true]);
    expect(workers.stats.peakRunning).toBe(2);
    expect(workers.stats.workersStarted).toBe(2);
    expect(workers.stats.sessionLoads).toBe(2);
  });

  it('fails an inference past its timeout, drops that worker and carries on with a fresh one', async () => {
    const workers = pool();
    const late = workers.run(flat(-0.3), 1);
    await expect(late).rejects.toBeInstanceOf(ProviderError);
    await expect(late).rejects.toThrow('the segmentation model did not answer within 1 ms');
    expect(workers.stats.timeouts).toBe(1);
    const next = await workers.run(flat(-0.3), 20_000);
    expect(next[0]).toBeCloseTo(sigmoid(6), 4);
    expect(workers.stats.workersStarted).toBe(2);
  });

  it('gives up waiting when the caller aborts', async () => {
    const workers = pool();
    const controller = new AbortController();
    const running = workers.run(flat(-0.3), 20_000);
    const waiting = workers.run(flat(-0.3), 20_000, controller.signal);
    controller.abort(new Error('item cancelled'));
    await expect(waiting).rejects.toThrow('item cancelled');
    await expect(running).resolves.toHaveLength(PLANE);
    expect(workers.stats.sessionLoads).toBe(1);
  });

  it('reports a missing model without naming the path, which stays in the cause for the logs', async () => {
    const workers = new OnnxWorkerPool({ modelPath: '/nonexistent/model.onnx', concurrency: 1, threads: 1 });
    pools.push(workers);
    const failure = await workers.run(flat(0), 20_000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as ProviderError).message).toBe('the segmentation model could not be loaded');
    expect(String((failure as ProviderError).cause)).toContain('/nonexistent/model.onnx');
  });
});

describe('enhancer with the onnx provider', () => {
  it('composes a catalog image from the model mask and records the provider', async () => {
    const enhancer = createEnhancer({
      providers: ['onnx', 'classical'],
      modelPath: TINY_MODEL,
      timeoutMs: 20_000,
      onnxConcurrency: 1,
      onnxThreads: 1,
    });
    try {
      const photo = await darkProductPhoto();
      const result = await enhancer.enhance({
        input: photo.jpeg,
        preset: 'single_product_white_background',
        preservationLevel: 'strict',
      });
      expect(result.provider).toBe('onnx');
      const output = await decodeOutput(result.image);
      expect([output.width, output.height, output.channels]).toEqual([1000, 1000, 3]);
      expect(frameIsPureWhite(output)).toBe(true);
      const box = nonWhiteBox(output)!;
      expect(Math.max(box.width, box.height) / 1000).toBeCloseTo(0.85, 1);
    } finally {
      await enhancer.close();
    }
  });

  it('falls through to the classical provider when the model cannot be loaded', async () => {
    const enhancer = createEnhancer({
      providers: ['onnx', 'classical'],
      modelPath: '/nonexistent/model.onnx',
      timeoutMs: 20_000,
      onnxConcurrency: 1,
      onnxThreads: 1,
    });
    try {
      const photo = await darkProductPhoto();
      const result = await enhancer.enhance({
        input: photo.jpeg,
        preset: 'single_product_white_background',
        preservationLevel: 'strict',
      });
      expect(result.provider).toBe('classical');
    } finally {
      await enhancer.close();
    }
  });
});
