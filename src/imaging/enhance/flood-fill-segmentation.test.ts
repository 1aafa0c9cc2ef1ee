import { beforeAll, describe, expect, it } from 'vitest';
import { sharp } from '../sharp-lib.ts';
import { segmentClassically } from './flood-fill-segmentation.ts';
import type { RgbImage } from './pixel-buffers.ts';
import { ProviderError } from './provider-error.ts';
import { clutteredPhoto, labelledProductPhoto } from './testing/product-photos.ts';
import { decodeWorkingImage } from './working-image.ts';

async function drawn(svgBody: string, width = 600, height = 450): Promise<RgbImage> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svgBody}</svg>`;
  return decodeWorkingImage(await sharp(Buffer.from(svg)).png().toBuffer());
}

const at = (image: { width: number; data: Uint8Array }, x: number, y: number): number =>
  image.data[y * image.width + x]!;

describe('classical segmentation', () => {
  let labelled: RgbImage;
  let label: { left: number; top: number; width: number; height: number };

  beforeAll(async () => {
    const photo = await labelledProductPhoto();
    labelled = await decodeWorkingImage(photo.jpeg);
    label = photo.label;
  });

  it('masks the product, keeps the enclosed light label, and clears the backdrop', async () => {
    const { mask, warnings } = await segmentClassically(labelled);
    expect([mask.width, mask.height, mask.data.length]).toEqual([1200, 900, 1200 * 900]);
    expect(at(mask, 600, 200)).toBe(255); // bottle
    expect(at(mask, label.left + label.width / 2, label.top + label.height / 2)).toBe(255); // label
    expect(at(mask, 100, 100)).toBe(0); // backdrop
    expect(at(mask, 1150, 850)).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('feathers the edge over about a pixel', async () => {
    const { mask } = await segmentClassically(labelled);
    // The bottle's left edge is at x = 450; a 0/255 step would have no value in between.
    const row = [446, 447, 448, 449, 450, 451, 452, 453].map((x) => at(mask, x, 450));
    expect(row[0]).toBe(0);
    expect(row.at(-1)).toBe(255);
    expect(row.some((v) => v > 0 && v < 255)).toBe(true);
    expect(row.filter((v) => v > 0 && v < 255).length).toBeLessThanOrEqual(4);
  });

  it('refuses a cluttered background, saying why', async () => {
    const image = await decodeWorkingImage((await clutteredPhoto()).jpeg);
    const attempt = segmentClassically(image);
    await expect(attempt).rejects.toBeInstanceOf(ProviderError);
    await expect(attempt).rejects.toThrow(
      /^classical segmentation needs a plain, uniform background; this photo's border is not uniform \(\d+ % of it matches/,
    );
  });

  it('refuses a photo with nothing on the backdrop', async () => {
    const image = await drawn('<rect width="600" height="450" fill="rgb(235,235,235)"/>');
    await expect(segmentClassically(image)).rejects.toThrow(/found no product that stands out/);
  });

  it('refuses a product that stands out too little to be found', async () => {
    // 20 levels from the backdrop: inside the fill distance, so the fill swallows it.
    const image = await drawn(
      '<rect width="600" height="450" fill="rgb(220,220,220)"/><rect x="200" y="100" width="200" height="250" fill="rgb(240,240,240)"/>',
    );
    await expect(segmentClassically(image)).rejects.toThrow(/found no product that stands out/);
  });

  it('tolerates a product that touches the border, as long as most of the border is backdrop', async () => {
    const image = await drawn(
      '<rect width="600" height="450" fill="rgb(235,235,235)"/><rect x="200" y="100" width="200" height="350" fill="rgb(40,40,40)"/>',
    );
    const { mask } = await segmentClassically(image);
    expect(at(mask, 300, 449)).toBe(255);
    expect(at(mask, 100, 449)).toBe(0);
  });
});
