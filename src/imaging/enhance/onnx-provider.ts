import { sharp } from '../sharp-lib.ts';
import { type ModelProfile, modelProfile } from './model-profiles.ts';
import { OnnxWorkerPool } from './onnx-worker-pool.ts';
import type { AlphaMask, RgbImage } from './pixel-buffers.ts';
import { inSlices } from './pixel-slices.ts';
import type { ImageWorkRunner, SegmentationProvider } from './segmentation-provider.ts';

export interface OnnxProviderOptions {
  readonly modelPath: string;
  /** How the model is fed and read; default ISNet. */
  readonly profile?: ModelProfile;
  readonly concurrency: number;
  readonly threads: number;
  readonly timeoutMs: number;
}

export interface OnnxProvider extends SegmentationProvider {
  readonly pool: OnnxWorkerPool;
}

/**
 * Segmentation with an operator-supplied model matching a profile (`model-profiles.ts`). Resizing in and
 * out of the model's size runs here with sharp (on the image work queue); only the inference runs in the
 * worker pool.
 */
export function onnxProvider(options: OnnxProviderOptions, runImageWork: ImageWorkRunner): OnnxProvider {
  const profile = options.profile ?? modelProfile();
  const pool = new OnnxWorkerPool({ ...options, profile });
  return {
    name: 'onnx',
    pool,
    async segment(image, signal) {
      const pixels = await runImageWork(() => toModelInput(image, profile));
      const output = await pool.run(pixels, options.timeoutMs, signal);
      const mask = await runImageWork(() => toImageMask(output, image.width, image.height, profile));
      return { mask, warnings: [] };
    },
    async check() {
      // A failure is recorded in the pool's health (a load failure) or leaves it as it was (a timeout).
      await pool.load(options.timeoutMs).catch(() => {});
      return pool.health;
    },
    health: () => pool.health,
    close: () => pool.close(),
  };
}

/**
 * The image squeezed to the profile's input size (aspect ignored), one float32 plane per channel in the
 * profile's order, `(v − mean) / std`. ISNet: 1024², RGB, (v − 128) / 256.
 */
export async function toModelInput(
  image: RgbImage,
  profile: ModelProfile = modelProfile(),
): Promise<Float32Array> {
  const { width, height } = image;
  const spec = profile.input;
  const rgb = await sharp(image.data, { raw: { width, height, channels: 3 } })
    .resize(spec.width, spec.height, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  const plane = spec.width * spec.height;
  const pixels = new Float32Array(3 * plane);
  // Plane k holds source channel `from[k]`, normalised with the profile's k-th mean and std.
  const from = spec.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let k = 0; k < 3; k++) {
    const channel = from[k]!;
    const mean = spec.mean[k]!;
    const std = spec.std[k]!;
    const base = k * plane;
    await inSlices(plane, (start, end) => {
      for (let p = start; p < end; p++) pixels[base + p] = (rgb[p * 3 + channel]! - mean) / std;
    });
  }
  return pixels;
}

/** The model's output, activated as the profile says, as an 8-bit mask stretched back to the image's size. */
export async function toImageMask(
  output: Float32Array,
  width: number,
  height: number,
  profile: ModelProfile = modelProfile(),
): Promise<AlphaMask> {
  const spec = profile.output;
  const activate = await activation(output, spec.activation);
  // Clamped array: out-of-range values saturate and NaN becomes 0 on assignment.
  const bytes = new Uint8ClampedArray(spec.width * spec.height);
  await inSlices(bytes.length, (start, end) => {
    for (let p = start; p < end; p++) bytes[p] = activate(output[p]!) * 255;
  });
  // A 1-channel raw input comes back with 3 channels after resize unless the channel is extracted.
  const data = await sharp(bytes, { raw: { width: spec.width, height: spec.height, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  return { width, height, data };
}

async function activation(
  output: Float32Array,
  kind: ModelProfile['output']['activation'],
): Promise<(v: number) => number> {
  switch (kind) {
    case 'none':
      return (v) => v;
    case 'sigmoid':
      return (v) => 1 / (1 + Math.exp(-v));
    case 'min-max': {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      await inSlices(output.length, (start, end) => {
        for (let p = start; p < end; p++) {
          const v = output[p]!;
          if (v < min) min = v;
          if (v > max) max = v;
        }
      });
      const range = max - min;
      return range > 0 ? (v) => (v - min) / range : () => 0;
    }
    default:
      throw new TypeError(`unknown output activation: ${String(kind satisfies never)}`);
  }
}
