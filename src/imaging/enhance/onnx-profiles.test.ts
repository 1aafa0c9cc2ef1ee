// Every model profile against a tiny stand-in with its exact I/O (fixtures/make-tiny-models.py): names, shapes,
// normalisation, output choice and activation, end to end through the worker pool and the enhancer. Plumbing, not
// segmentation quality.
import { fileURLToPath } from 'node:url';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createEnhancer } from './create-enhancer.ts';
import { MODEL_PROFILE_NAMES, MODEL_PROFILES, type ModelProfile, modelProfile } from './model-profiles.ts';
import { toImageMask, toModelInput } from './onnx-provider.ts';
import { OnnxWorkerPool } from './onnx-worker-pool.ts';
import { ProviderError } from './provider-error.ts';
import { decodeOutput, frameIsPureWhite, nonWhiteBox } from './testing/measure-catalog-image.ts';
import { darkProductPhoto } from './testing/product-photos.ts';

const tinyModel = (name: string) => fileURLToPath(new URL(`./fixtures/tiny-${name}.onnx`, import.meta.url));
const plane = (p: ModelProfile) => p.input.width * p.input.height;

const pools: OnnxWorkerPool[] = [];
function pool(profile: ModelProfile, modelPath = tinyModel(profile.name)): OnnxWorkerPool {
  const created = new OnnxWorkerPool({ modelPath, profile, concurrency: 1, threads: 1 });
  pools.push(created);
  return created;
}
afterAll(() => Promise.all(pools.map((p) => p.close())));

const DARK: [number, number, number] = [40, 45, 60];
const LIGHT: [number, number, number] = [236, 236, 234];

/** The model input for a 64×48 image: `left` on the left half, `right` on the right, normalised by the profile. */
async function twoToneInput(
  profile: ModelProfile,
  left: [number, number, number],
  right = left,
): Promise<Float32Array> {
  const data = Buffer.alloc(64 * 48 * 3);
  for (let p = 0; p < 64 * 48; p++) data.set(p % 64 < 32 ? left : right, p * 3);
  return toModelInput({ width: 64, height: 48, data }, profile);
}

/** Smallest and largest value (spreading a million values into Math.min overflows the stack). */
function range(values: ArrayLike<number>): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  return [min, max];
}

/** The mask's columns `from`..`to` (exclusive), every row. */
const columns = (mask: { data: Uint8Array; width: number }, from: number, to: number) =>
  Array.from(mask.data).filter((_, p) => p % mask.width >= from && p % mask.width < to);

describe.each(MODEL_PROFILE_NAMES)('model profile %s', (name) => {
  const profile = MODEL_PROFILES[name];

  it('is described completely: licence, file, sizes, and a pinned HTTPS download or none', () => {
    expect(modelProfile(name)).toBe(profile);
    expect(profile.licence.length).toBeGreaterThan(20);
    expect(profile.file).toMatch(/^[A-Za-z0-9._-]+\.onnx$/);
    expect(profile.input.std.every((s) => s > 0)).toBe(true);
    const { download } = profile as ModelProfile;
    if (download) {
      expect(new URL(download.url).protocol).toBe('https:');
      expect(download.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Number.isInteger(download.bytes) && download.bytes > 1_000_000).toBe(true);
      expect(download.source.length).toBeGreaterThan(20);
    }
  });

  it('its stand-in model declares exactly the profile’s input and output', async () => {
    const session = await InferenceSession.create(tinyModel(name));
    try {
      const input = session.inputMetadata.find((m) => m.name === profile.input.name);
      expect(input).toMatchObject({
        isTensor: true,
        type: 'float32',
        shape: [1, 3, profile.input.height, profile.input.width],
      });
      const output = session.outputMetadata.find((m) => m.name === profile.output.preferredName);
      expect(output).toMatchObject({ shape: [1, 1, profile.output.height, profile.output.width] });
      // A side output comes first, as in real exports: reading the first output would be wrong.
      expect(session.outputNames[0]).not.toBe(profile.output.preferredName);
    } finally {
      await session.release();
    }
  });

  it('preprocessing: squeezed to the input size, one plane per channel, (v − mean) / std', async () => {
    const pixels = await twoToneInput(profile, [200, 128, 0]);
    const size = plane(profile);
    expect(pixels.length).toBe(3 * size);
    const source = profile.input.channelOrder === 'RGB' ? [200, 128, 0] : [0, 128, 200];
    for (let k = 0; k < 3; k++) {
      const expected = (source[k]! - profile.input.mean[k]!) / profile.input.std[k]!;
      expect(pixels[k * size]).toBeCloseTo(expected, 4);
      expect(pixels[k * size + size - 1]).toBeCloseTo(expected, 4);
    }
  });

  it('the worker feeds the named input and reads the named output: dark pixels are product, light ones not', async () => {
    const workers = pool(profile);
    await workers.load(20_000);
    expect(workers.health).toEqual({ state: 'ok' });
    const output = await workers.run(await twoToneInput(profile, DARK, LIGHT), 20_000);
    expect(output.length).toBe(profile.output.width * profile.output.height);
    // Through the profile's activation, back at the image's size: the dark half is product.
    const mask = await toImageMask(output, 64, 48, profile);
    expect(range(columns(mask, 0, 28))[0]).toBeGreaterThan(200);
    expect(range(columns(mask, 36, 64))[1]).toBeLessThan(40);
    expect(workers.stats.sessionLoads).toBe(1);
  });

  it('the enhancer makes a catalog image from the model mask', async () => {
    const enhancer = createEnhancer({
      providers: ['onnx'],
      modelPath: tinyModel(name),
      modelProfile: name,
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
      expect(frameIsPureWhite(output)).toBe(true);
      const box = nonWhiteBox(output)!;
      expect(Math.max(box.width, box.height) / output.width).toBeCloseTo(0.85, 1);
      // The product is taller than wide (340 × 560): the mask found the box, not the photo.
      expect(box.height).toBeGreaterThan(box.width * 1.4);
    } finally {
      await enhancer.close();
    }
  });
});

describe('profiles and the models they do not fit', () => {
  it('u2net: the raw output never reaches 0.5; without the min-max stretch the mask would be empty', async () => {
    const profile = MODEL_PROFILES.u2net;
    const raw = await pool(profile).run(await twoToneInput(profile, DARK, LIGHT), 20_000);
    expect(range(raw)[1]).toBeLessThan(0.5);
    const unstretched = { ...profile, output: { ...profile.output, activation: 'none' as const } };
    expect(range((await toImageMask(raw, 64, 48, unstretched)).data)[1]).toBeLessThan(128);
  });

  it('birefnet: the output is logits, turned into probabilities by the sigmoid', async () => {
    const profile = MODEL_PROFILES.birefnet;
    const raw = await pool(profile).run(await twoToneInput(profile, LIGHT), 20_000);
    expect(range(raw)[1]).toBeLessThan(-5); // a logit, not a probability
    const mask = await toImageMask(new Float32Array(plane(profile)).fill(0.3), 8, 8, profile);
    expect(mask.data[0]).toBe(Math.round(255 / (1 + Math.exp(-0.3)))); // sigmoid, not a clamp (77)
  });

  it('a model of another profile is refused at load, naming both shapes; the pool says it is failing', async () => {
    const workers = pool(MODEL_PROFILES.isnet, tinyModel('u2net'));
    const failure = await workers.load(20_000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as Error).message).toBe(
      'the segmentation model is not ISNet-compatible (its input is 1×3×320×320, the profile feeds 1×3×1024×1024)',
    );
    expect(workers.health).toMatchObject({ state: 'failing', message: (failure as Error).message });
  });

  it('a file that is no model: failing health, the message without the path (the path is in the detail)', async () => {
    const workers = pool(
      MODEL_PROFILES.isnet,
      fileURLToPath(new URL('./fixtures/make-tiny-models.py', import.meta.url)),
    );
    expect(workers.health).toEqual({ state: 'unknown' });
    await expect(workers.load(20_000)).rejects.toThrow('the segmentation model could not be loaded');
    const health = workers.health;
    expect(health.state).toBe('failing');
    if (health.state === 'failing') expect(health.detail).toContain('make-tiny-models.py');
  });
});
