import { sharp } from '../sharp-lib.ts';
import { MODEL_SIDE } from './onnx-messages.ts';
import { OnnxWorkerPool } from './onnx-worker-pool.ts';
import type { AlphaMask, RgbImage } from './pixel-buffers.ts';
import type { ImageWorkRunner, SegmentationProvider } from './segmentation-provider.ts';

export interface OnnxProviderOptions {
  readonly modelPath: string;
  readonly concurrency: number;
  readonly threads: number;
  readonly timeoutMs: number;
}

export interface OnnxProvider extends SegmentationProvider {
  readonly pool: OnnxWorkerPool;
}

/**
 * Segmentation with an operator-supplied ISNet-compatible model. Resizing in and out of the model's
 * 1024² runs here with sharp (on the image work queue); only the inference runs in the worker pool.
 */
export function onnxProvider(options: OnnxProviderOptions, runImageWork: ImageWorkRunner): OnnxProvider {
  const pool = new OnnxWorkerPool(options);
  return {
    name: 'onnx',
    pool,
    async segment(image, signal) {
      const pixels = await runImageWork(() => toModelInput(image));
      const output = await pool.run(pixels, options.timeoutMs, signal);
      const mask = await runImageWork(() => toImageMask(output, image.width, image.height));
      return { mask, warnings: [] };
    },
    close: () => pool.close(),
  };
}

/** The image squeezed to 1024² (ISNet ignores aspect), CHW float32, (v − 128) / 256. */
export async function toModelInput(image: RgbImage): Promise<Float32Array> {
  const { width, height } = image;
  const rgb = await sharp(image.data, { raw: { width, height, channels: 3 } })
    .resize(MODEL_SIDE, MODEL_SIDE, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  const plane = MODEL_SIDE * MODEL_SIDE;
  const pixels = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    pixels[p] = (rgb[p * 3]! - 128) / 256;
    pixels[plane + p] = (rgb[p * 3 + 1]! - 128) / 256;
    pixels[2 * plane + p] = (rgb[p * 3 + 2]! - 128) / 256;
  }
  return pixels;
}

/** The model's 0..1 output as an 8-bit mask stretched back to the image's size. */
export async function toImageMask(output: Float32Array, width: number, height: number): Promise<AlphaMask> {
  // Clamped array: out-of-range values saturate and NaN becomes 0 on assignment.
  const bytes = new Uint8ClampedArray(MODEL_SIDE * MODEL_SIDE);
  for (let p = 0; p < bytes.length; p++) bytes[p] = output[p]! * 255;
  // A 1-channel raw input comes back with 3 channels after resize unless the channel is extracted.
  const data = await sharp(bytes, { raw: { width: MODEL_SIDE, height: MODEL_SIDE, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  return { width, height, data };
}
