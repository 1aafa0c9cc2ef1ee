import { describe, expect, it } from 'vitest';
import { ImageFailureError } from '../image-failure.ts';
import { sharp } from '../sharp-lib.ts';
import { decodeWorkingImage, MAX_WORKING_SIDE } from './working-image.ts';

describe('decodeWorkingImage', () => {
  it('turns the photo upright (EXIF orientation)', async () => {
    const landscape = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808080' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const image = await decodeWorkingImage(landscape);
    expect([image.width, image.height]).toEqual([200, 300]);
    expect(image.data.length).toBe(200 * 300 * 3);
  });

  it('flattens transparency onto white and reads 16-bit PNGs as 8-bit sRGB', async () => {
    const transparent = await sharp({
      create: { width: 10, height: 10, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    expect([...(await decodeWorkingImage(transparent)).data.subarray(0, 3)]).toEqual([255, 255, 255]);
    const deep = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#336699' } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    const image = await decodeWorkingImage(deep);
    expect(image.data.length).toBe(10 * 10 * 3);
    expect([...image.data.subarray(0, 3)]).toEqual([0x33, 0x66, 0x99]);
  });

  it(`works at most ${MAX_WORKING_SIDE} px on the longer side`, async () => {
    const big = await sharp({ create: { width: 4000, height: 1000, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const image = await decodeWorkingImage(big);
    expect([image.width, image.height]).toEqual([MAX_WORKING_SIDE, 512]);
  });

  it('refuses what cannot be decoded with an image failure, not a provider error', async () => {
    const jpeg = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    await expect(decodeWorkingImage(jpeg.subarray(0, 200))).rejects.toBeInstanceOf(ImageFailureError);
    await expect(decodeWorkingImage(Buffer.from('not an image'))).rejects.toBeInstanceOf(ImageFailureError);
  });
});
