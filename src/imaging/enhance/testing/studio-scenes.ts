// Studio scenes drawn in code for the classical segmenter's unit and HTTP tests: a product on a sweep with a
// gradient or vignette, optionally a soft cast shadow, each with its exact product mask. (The broad
// evaluation set with grain, JPEG levels and groups is studio-composites.ts; these are the few scenes the
// tests name.)
import { sharp } from '../../sharp-lib.ts';
import type { RgbImage } from '../pixel-buffers.ts';

export interface StudioScene {
  readonly name: string;
  readonly image: RgbImage;
  /** JPEG q92 of `image`. */
  readonly jpeg: Buffer;
  /** 1 where the product is. */
  readonly truth: Uint8Array;
}

export interface StudioSceneOptions {
  readonly width?: number;
  readonly height?: number;
  /** Backdrop lightness at the centre and at the corners (vignette), 0…255. */
  readonly centre?: number;
  readonly corner?: number;
  /** Darkening from top to bottom (a sweep's gradient), 0…255. */
  readonly gradient?: number;
  /** SVG shapes of the product, in `fill` colours; drawn over the backdrop. */
  readonly product?: string;
  /** A soft cast shadow to the right of the product. */
  readonly shadow?: boolean;
  readonly noise?: number;
}

const DEFAULT_PRODUCT = '<rect x="230" y="150" width="220" height="300" rx="30" fill="rgb(150,40,40)"/>';

export async function studioScene(name: string, options: StudioSceneOptions = {}): Promise<StudioScene> {
  const width = options.width ?? 800;
  const height = options.height ?? 600;
  const centre = options.centre ?? 235;
  const corner = options.corner ?? 200;
  const gradient = options.gradient ?? 20;
  const product = options.product ?? DEFAULT_PRODUCT;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = (x / width - 0.5) * 2;
      const v = (y / height - 0.5) * 2;
      const vignette = centre + (corner - centre) * Math.min(1, (u * u + v * v) / 2);
      const value = vignette - gradient * (y / height);
      const p = (y * width + x) * 3;
      data[p] = value;
      data[p + 1] = value;
      data[p + 2] = value - 4;
    }
  }
  let backdrop = sharp(data, { raw: { width, height, channels: 3 } }).png();
  if (options.shadow) {
    const shadowSvg = svg(
      width,
      height,
      '<defs><filter id="s"><feGaussianBlur stdDeviation="18"/></filter></defs>' +
        '<ellipse cx="480" cy="440" rx="150" ry="40" fill="black" fill-opacity="0.35" filter="url(#s)"/>',
    );
    backdrop = sharp(await backdrop.toBuffer())
      .composite([{ input: shadowSvg }])
      .png();
  }
  const withProduct = await sharp(await backdrop.toBuffer())
    .composite([{ input: svg(width, height, product) }])
    .removeAlpha()
    .raw()
    .toBuffer();
  if (options.noise) addNoise(withProduct, options.noise);
  const maskShapes = product.replace(/fill="[^"]*"/g, 'fill="white"');
  const truthRaw = await sharp(
    svg(width, height, `<rect width="100%" height="100%" fill="black"/>${maskShapes}`),
  )
    .extractChannel(0)
    .raw()
    .toBuffer();
  const truth = Uint8Array.from(truthRaw, (v) => (v >= 128 ? 1 : 0));
  const jpeg = await sharp(withProduct, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 92 })
    .toBuffer();
  return { name, image: { width, height, data: withProduct }, jpeg, truth };
}

function svg(width: number, height: number, body: string): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`,
  );
}

function addNoise(data: Buffer, sigma: number): void {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 4294967296;
  };
  for (let i = 0; i < data.length; i++) {
    const n = (random() + random() + random() - 1.5) * 2 * sigma;
    data[i] = Math.max(0, Math.min(255, Math.round(data[i]! + n)));
  }
}

/** Intersection over union of a 0…255 mask (α ≥ 128 is product) and a 0/1 truth. */
export function maskIou(mask: Uint8Array, truth: Uint8Array): number {
  let both = 0;
  let either = 0;
  for (let p = 0; p < truth.length; p++) {
    const m = mask[p]! >= 128 ? 1 : 0;
    const t = truth[p]!;
    if (m && t) both++;
    if (m || t) either++;
  }
  return either === 0 ? 1 : both / either;
}
