// Photo-like test images for the benchmarks: large, high-entropy, generated once and kept in a cache folder.
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sharp } from '../../src/imaging/sharp-lib.ts';

export const PHOTO_WIDTH = 4000;
export const PHOTO_HEIGHT = 3000;
/** Bump when the generator changes, so a stale cache is not reused. */
const GENERATOR_VERSION = 'v2';

/**
 * A 4000 × 3000 JPEG (q90, 4:2:0 like a camera) that compresses like a photo: smooth colour gradients, large
 * blurred structures (sky, walls), fine sensor-like noise and some sharp edges. Distinct per `seed`.
 */
async function photoLikeJpeg(seed: number): Promise<Buffer> {
  const width = PHOTO_WIDTH;
  const height = PHOTO_HEIGHT;
  // Low-frequency structure: coarse random blocks, upscaled smoothly.
  const coarseW = 40;
  const coarseH = 30;
  const coarse = Buffer.alloc(coarseW * coarseH * 3);
  let state = (seed + 1) * 2654435761;
  const random = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state >>> 24;
  };
  for (let i = 0; i < coarse.length; i++) coarse[i] = random();
  const structure = await sharp(coarse, { raw: { width: coarseW, height: coarseH, channels: 3 } })
    .resize(width, height, { kernel: 'cubic' })
    .blur(18)
    .raw()
    .toBuffer();
  // Gradients and hard edges over it, plus per-pixel noise (what makes camera JPEGs big).
  const data = Buffer.alloc(width * height * 3);
  const stripe = 300 + (seed % 7) * 40;
  for (let y = 0; y < height; y++) {
    const gy = (y / height) * 90;
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      const edge = (x + y * 0.5 + seed * 97) % stripe < stripe / 12 ? 60 : 0;
      const noise = (random() - 128) * 0.22;
      const gx = (x / width) * 70;
      data[at] = clamp((structure[at] ?? 0) * 0.7 + gx + edge + noise);
      data[at + 1] = clamp((structure[at + 1] ?? 0) * 0.7 + gy + noise);
      data[at + 2] = clamp((structure[at + 2] ?? 0) * 0.7 + (90 - gy) + edge * 0.5 + noise);
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90, chromaSubsampling: '4:2:0' })
    .toBuffer();
}

const clamp = (value: number) => (value < 0 ? 0 : value > 255 ? 255 : Math.round(value));

/** `count` distinct photos as files, generated on first use and reused from `<tmp>/lightbox-bench-photos`. */
export async function photoFiles(count: number): Promise<string[]> {
  const dir = path.join(tmpdir(), `lightbox-bench-photos-${GENERATOR_VERSION}`);
  await mkdir(dir, { recursive: true });
  const present = new Set(await readdir(dir));
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `photo-${String(i).padStart(2, '0')}.jpg`;
    const file = path.join(dir, name);
    if (!present.has(name)) {
      const temp = `${file}.${process.pid}.part`;
      await writeFile(temp, await photoLikeJpeg(i));
      await rename(temp, file);
    }
    files.push(file);
  }
  return files;
}
