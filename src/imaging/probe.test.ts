import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';
import { probeImage } from './probe.ts';
import {
  animated,
  bmp,
  cleanSvg,
  encoded,
  ico,
  jpegWithGps,
  makeTempDir,
  pngBomb,
  pngWithHeader,
  rebrandedHeic,
  type TempDir,
} from './testing/fixtures.ts';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(() => dir.remove());

const limits = (overrides: Partial<ImageLimits>): ImageLimits => ({ ...DEFAULT_IMAGE_LIMITS, ...overrides });
const gradient = (x: number, y: number): [number, number, number, number] => [x * 10, y * 10, 100, 255];

describe('probeImage accepts', () => {
  it('JPEG, PNG, WebP and AVIF with their size and alpha', async () => {
    const cases = [
      { name: 'a.jpg', bytes: await encoded('jpeg', 40, 30), format: 'jpeg', hasAlpha: false },
      { name: 'a.png', bytes: await encoded('png', 40, 30, 4), format: 'png', hasAlpha: true },
      { name: 'a.webp', bytes: await encoded('webp', 40, 30), format: 'webp', hasAlpha: false },
      { name: 'a.avif', bytes: await encoded('avif', 40, 30, 4), format: 'avif', hasAlpha: true },
    ] as const;
    for (const { name, bytes, format, hasAlpha } of cases) {
      const result = await probeImage(await dir.write(name, bytes));
      expect(result, name).toEqual({
        ok: true,
        format,
        width: 40,
        height: 30,
        frames: 1,
        hasAlpha,
        bytes: bytes.length,
      });
    }
  });

  it('animated GIF and WebP with their frame count', async () => {
    for (const format of ['gif', 'webp'] as const) {
      const result = await probeImage(await dir.write(`anim.${format}`, await animated(format, 3, 20, 10)));
      expect(result).toMatchObject({ ok: true, format, width: 20, height: 10, frames: 3 });
    }
  });

  it('the display size of an EXIF-rotated JPEG', async () => {
    const result = await probeImage(await dir.write('rotated.jpg', await jpegWithGps(40, 30)));
    expect(result).toMatchObject({ ok: true, format: 'jpeg', width: 30, height: 40 });
  });

  it('a Buffer as well as a path', async () => {
    expect(await probeImage(await encoded('png', 5, 6))).toMatchObject({ ok: true, width: 5, height: 6 });
  });

  it('SVG, sized from width/height or the viewBox', async () => {
    expect(await probeImage(await dir.write('a.svg', cleanSvg()))).toMatchObject({
      ok: true,
      format: 'svg',
      width: 120,
      height: 60,
      frames: 1,
      hasAlpha: true,
    });
    expect(await probeImage(Buffer.from(cleanSvg('viewBox="0 0 300 100"')))).toMatchObject({
      width: 300,
      height: 100,
    });
    expect(await probeImage(Buffer.from(cleanSvg('')))).toMatchObject({ width: 300, height: 150 });
  });

  it('BMP: 24-bit, 32-bit with alpha, 8-bit palette, top-down', async () => {
    const translucent = (x: number, y: number): [number, number, number, number] => [x, y, 0, 100];
    const cases = [
      { bytes: bmp(7, 5, { bitsPerPixel: 24, pixel: gradient }), hasAlpha: false },
      { bytes: bmp(7, 5, { bitsPerPixel: 32, pixel: translucent }), hasAlpha: true },
      { bytes: bmp(7, 5, { bitsPerPixel: 32, pixel: () => [9, 9, 9, 0] }), hasAlpha: false }, // unused 4th byte
      { bytes: bmp(7, 5, { bitsPerPixel: 8, pixel: gradient }), hasAlpha: false },
      { bytes: bmp(7, 5, { bitsPerPixel: 24, topDown: true, pixel: gradient }), hasAlpha: false },
    ];
    for (const { bytes, hasAlpha } of cases) {
      const result = await probeImage(await dir.write('a.bmp', bytes));
      expect(result).toEqual({
        ok: true,
        format: 'bmp',
        width: 7,
        height: 5,
        frames: 1,
        hasAlpha,
        bytes: bytes.length,
      });
    }
  });

  it('ICO: the largest entry, bitmap or PNG', async () => {
    const bitmaps = ico([
      { width: 16, height: 16 },
      { width: 32, height: 32, pixel: (x) => [x * 8, 0, 0, x < 16 ? 255 : 0] },
    ]);
    expect(await probeImage(await dir.write('a.ico', bitmaps))).toMatchObject({
      ok: true,
      format: 'ico',
      width: 32,
      height: 32,
      hasAlpha: true,
    });
    const withPng = ico([
      { width: 16, height: 16 },
      { width: 256, height: 256, png: await encoded('png', 256, 256) },
    ]);
    expect(await probeImage(await dir.write('b.ico', withPng))).toMatchObject({
      ok: true,
      format: 'ico',
      width: 256,
      height: 256,
      hasAlpha: false,
    });
  });
});

describe('probeImage refuses', () => {
  it('a file that is not an image, whatever its name', async () => {
    const result = await probeImage(await dir.write('holiday.jpg', 'This is a text file.\n'));
    expect(result).toEqual({ ok: false, reason: 'unsupported', message: 'Unsupported file type' });
  });

  it('a PNG declaring 100000×100000 pixels, from the header alone', async () => {
    const started = performance.now();
    const result = await probeImage(await dir.write('huge.png', pngWithHeader(100_000, 100_000)));
    expect(result).toEqual({
      ok: false,
      reason: 'too_many_pixels',
      message: 'Image too large: 100000x100000 pixels exceeds the 100 megapixel limit',
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a decompression bomb: a small PNG that would decode to 20000×20000', async () => {
    const bomb = pngBomb(20_000, 20_000);
    expect(bomb.length).toBeLessThan(200_000);
    const result = await probeImage(await dir.write('bomb.png', bomb));
    expect(result).toMatchObject({ ok: false, reason: 'too_many_pixels' });
  });

  it('an image over a configured pixel limit, for every header parser', async () => {
    const small = limits({ maxPixels: 999 });
    const files = [
      await encoded('jpeg', 40, 30),
      await encoded('png', 40, 30),
      await encoded('webp', 40, 30),
      await encoded('avif', 40, 30),
      await animated('gif', 2, 40, 30),
      bmp(40, 30, { bitsPerPixel: 24, pixel: gradient }),
      ico([{ width: 40, height: 30 }]),
    ];
    for (const bytes of files) {
      expect(await probeImage(bytes, { limits: small })).toEqual({
        ok: false,
        reason: 'too_many_pixels',
        message: 'Image too large: 40x30 pixels exceeds the 0 megapixel limit',
      });
    }
  });

  it('a truncated JPEG and a truncated PNG', async () => {
    const jpeg = await encoded('jpeg', 200, 150);
    const png = await encoded('png', 200, 150);
    for (const bytes of [
      jpeg.subarray(0, Math.floor(jpeg.length * 0.6)),
      png.subarray(0, Math.floor(png.length * 0.6)),
    ]) {
      expect(await probeImage(bytes)).toMatchObject({
        ok: false,
        reason: 'corrupt',
        message: 'File is truncated or corrupt',
      });
    }
  });

  it('animations with too many frames, or too many pixels in all frames together', async () => {
    const gif = await animated('gif', 4, 20, 10);
    expect(await probeImage(gif, { limits: limits({ maxFrames: 3 }) })).toEqual({
      ok: false,
      reason: 'too_many_frames',
      message: 'Too many animation frames: 4 exceeds the limit of 3',
    });
    expect(await probeImage(gif, { limits: limits({ maxAnimationPixels: 700 }) })).toMatchObject({
      ok: false,
      reason: 'too_many_frames',
    });
  });

  it('truncated and unsupported BMPs', async () => {
    const whole = bmp(20, 20, { bitsPerPixel: 24, pixel: gradient });
    expect(await probeImage(whole.subarray(0, 300))).toMatchObject({ ok: false, reason: 'corrupt' });
    const rle = Buffer.from(whole);
    rle.writeUInt32LE(1, 30); // BI_RLE8
    expect(await probeImage(rle)).toMatchObject({ ok: false, reason: 'unsupported' });
  });

  it('an ICO whose PNG entry declares a huge image (the directory cannot say more than 256)', async () => {
    const result = await probeImage(ico([{ width: 256, height: 256, png: pngWithHeader(50_000, 50_000) }]));
    expect(result).toMatchObject({ ok: false, reason: 'too_many_pixels' });
  });

  it('HEIC: the header is read and limited before decoding', async () => {
    const huge = await rebrandedHeic({ width: 20_000, height: 20_000 });
    expect(await probeImage(huge)).toEqual({
      ok: false,
      reason: 'too_many_pixels',
      message: 'Image too large: 20000x20000 pixels exceeds the 100 megapixel limit',
    });
    // Passes the header check, then the HEVC decoder (in a worker) cannot decode the AV1 payload.
    expect(await probeImage(await rebrandedHeic())).toMatchObject({ ok: false, reason: 'corrupt' });
  });

  it('SVG with entity declarations, and SVG that is not well-formed', async () => {
    const xxe = `<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>${cleanSvg('', '<text>&x;</text>')}`;
    expect(await probeImage(Buffer.from(xxe))).toMatchObject({ ok: false, reason: 'unsupported' });
    expect(await probeImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><g>'))).toMatchObject({
      ok: false,
      reason: 'corrupt',
    });
  });
});
