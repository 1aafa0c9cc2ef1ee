// Product photos drawn in code (SVG rendered by sharp, noise added in JavaScript), for the tests and the
// benchmark. Each knows where its product is and which colour a flat patch of it has.

import { seededRandom } from '../../../lib/seeded-random.ts';
import { sharp } from '../../sharp-lib.ts';
import type { Box, Rgb } from '../pixel-buffers.ts';

const PHOTO_WIDTH = 1200;
const PHOTO_HEIGHT = 900;

export interface ProductPhoto {
  readonly name: string;
  /** JPEG q92, as a phone or a product photographer would deliver it. */
  readonly jpeg: Buffer;
  /** Every product drawn, largest first. */
  readonly products: readonly Box[];
  /** Centre of a flat patch of the largest product, and its drawn colour. */
  readonly patch: { readonly x: number; readonly y: number; readonly colour: Rgb };
  readonly background: Rgb;
}

const rgb = (c: Rgb): string => `rgb(${c[0]},${c[1]},${c[2]})`;

/** A seamless backdrop: light, slightly darker towards the bottom, like a paper sweep. */
function sweep(top: Rgb, bottom: Rgb): string {
  return `<defs><linearGradient id="sweep" x1="0" y1="0" x2="0" y2="1">
    <stop offset="0" stop-color="${rgb(top)}"/><stop offset="1" stop-color="${rgb(bottom)}"/>
  </linearGradient></defs><rect width="${PHOTO_WIDTH}" height="${PHOTO_HEIGHT}" fill="url(#sweep)"/>`;
}

async function render(svgBody: string, noise = 0, seed = 1): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${PHOTO_WIDTH}" height="${PHOTO_HEIGHT}">${svgBody}</svg>`;
  const image = sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).removeAlpha();
  if (noise === 0) return image.jpeg({ quality: 92 }).toBuffer();
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  const random = seededRandom(seed);
  for (let i = 0; i < data.length; i++) {
    // Sum of three uniforms: close enough to Gaussian sensor noise with this standard deviation.
    const n = (random() + random() + random() - 1.5) * 2 * noise;
    data[i] = Math.max(0, Math.min(255, Math.round(data[i]! + n)));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .jpeg({ quality: 92 })
    .toBuffer();
}

const box = (left: number, top: number, width: number, height: number): Box => ({ left, top, width, height });

/** A navy box with a lighter lid on a light seamless backdrop. */
export async function darkProductPhoto(): Promise<ProductPhoto> {
  const colour: Rgb = [30, 45, 90];
  const product = box(430, 170, 340, 560);
  const body = `${sweep([242, 242, 240], [226, 226, 224])}
    <rect x="430" y="170" width="340" height="560" rx="24" fill="${rgb(colour)}"/>
    <rect x="430" y="170" width="340" height="90" rx="24" fill="rgb(70,90,150)"/>`;
  return {
    name: 'dark product on a light seamless backdrop',
    jpeg: await render(body),
    products: [product],
    patch: { x: 600, y: 500, colour },
    background: [234, 234, 232],
  };
}

/** A dark bottle with a light label whose colour is close to the backdrop's. */
export async function labelledProductPhoto(): Promise<ProductPhoto & { readonly label: Box }> {
  const colour: Rgb = [70, 40, 25];
  const product = box(450, 140, 300, 620);
  const label = box(490, 380, 220, 200);
  const body = `${sweep([236, 236, 236], [230, 230, 230])}
    <rect x="450" y="140" width="300" height="620" rx="40" fill="${rgb(colour)}"/>
    <rect x="${label.left}" y="${label.top}" width="${label.width}" height="${label.height}" fill="rgb(226,226,214)"/>`;
  return {
    name: 'dark bottle with a light label',
    jpeg: await render(body),
    products: [product],
    patch: { x: 600, y: 250, colour },
    background: [233, 233, 233],
    label,
  };
}

/** A large dark product and a smaller green one beside it. */
export async function twoProductsPhoto(): Promise<ProductPhoto> {
  const colour: Rgb = [35, 35, 40];
  const large = box(250, 200, 320, 500);
  const small = box(720, 420, 200, 280);
  const body = `${sweep([240, 240, 240], [228, 228, 228])}
    <rect x="250" y="200" width="320" height="500" rx="20" fill="${rgb(colour)}"/>
    <ellipse cx="820" cy="560" rx="100" ry="140" fill="rgb(30,110,60)"/>`;
  return {
    name: 'two products',
    jpeg: await render(body),
    products: [large, small],
    patch: { x: 410, y: 450, colour },
    background: [234, 234, 234],
  };
}

/** A cream product on a light grey backdrop: little contrast, the classical provider's weak spot. */
export async function lightProductPhoto(): Promise<ProductPhoto> {
  const colour: Rgb = [248, 243, 230];
  const product = box(400, 180, 400, 540);
  const body = `${sweep([210, 210, 208], [206, 206, 204])}
    <rect x="400" y="180" width="400" height="540" rx="30" fill="${rgb(colour)}"/>`;
  return {
    name: 'light product on a light backdrop',
    jpeg: await render(body),
    products: [product],
    patch: { x: 600, y: 450, colour },
    background: [208, 208, 206],
  };
}

/** A product on a plain backdrop under visible sensor noise (high ISO). */
export async function noisyBackdropPhoto(): Promise<ProductPhoto> {
  const colour: Rgb = [120, 30, 35];
  const product = box(420, 200, 360, 500);
  const body = `<rect width="${PHOTO_WIDTH}" height="${PHOTO_HEIGHT}" fill="rgb(232,232,230)"/>
    <rect x="420" y="200" width="360" height="500" rx="16" fill="${rgb(colour)}"/>`;
  return {
    name: 'product on a noisy plain backdrop',
    jpeg: await render(body, 8, 7),
    products: [product],
    patch: { x: 600, y: 450, colour },
    background: [232, 232, 230],
  };
}

/** A product on a table among other things: no plain backdrop at all. */
export async function clutteredPhoto(): Promise<ProductPhoto> {
  const random = seededRandom(42);
  const shapes: string[] = [];
  for (let i = 0; i < 160; i++) {
    const c: Rgb = [Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256)];
    const x = Math.floor(random() * PHOTO_WIDTH) - 60;
    const y = Math.floor(random() * PHOTO_HEIGHT) - 60;
    const w = 40 + Math.floor(random() * 160);
    const h = 40 + Math.floor(random() * 160);
    shapes.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${rgb(c)}"/>`);
  }
  const colour: Rgb = [30, 45, 90];
  const body = `<rect width="${PHOTO_WIDTH}" height="${PHOTO_HEIGHT}" fill="rgb(150,120,90)"/>${shapes.join('')}
    <rect x="450" y="200" width="300" height="500" fill="${rgb(colour)}"/>`;
  return {
    name: 'cluttered background',
    jpeg: await render(body, 4, 3),
    products: [box(450, 200, 300, 500)],
    patch: { x: 600, y: 450, colour },
    background: [150, 120, 90],
  };
}

/** A neutral grey product under warm light: the backdrop shows the cast that white balance removes. */
export async function warmCastPhoto(): Promise<ProductPhoto> {
  const colour: Rgb = [128, 118, 100];
  const body = `${sweep([246, 236, 214], [240, 230, 208])}
    <rect x="420" y="200" width="360" height="500" rx="16" fill="${rgb(colour)}"/>
    <rect x="420" y="200" width="360" height="60" rx="16" fill="rgb(40,37,31)"/>`;
  return {
    name: 'grey product under warm light',
    jpeg: await render(body),
    products: [box(420, 200, 360, 500)],
    patch: { x: 600, y: 470, colour },
    background: [243, 233, 211],
  };
}
