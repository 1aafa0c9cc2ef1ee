import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFailureError } from './image-failure.ts';
import type { ImageFormat } from './image-format.ts';
import { ImageWorkQueue } from './image-work-queue.ts';
import { type RenderedImage, renderImage } from './render.ts';
import { parseRenditionParams, type QueryInput } from './rendition-params.ts';
import { sharp } from './sharp-lib.ts';
import {
  animated,
  bmp,
  cleanSvg,
  encoded,
  ico,
  jpegWithGps,
  makeTempDir,
  photo,
  rebrandedHeic,
  type TempDir,
} from './testing/fixtures.ts';

let dir: TempDir;
let jpegPath: string;
let alphaPngPath: string;
beforeAll(async () => {
  dir = await makeTempDir();
  jpegPath = await dir.write('photo.jpg', await encoded('jpeg', 400, 300));
  alphaPngPath = await dir.write('alpha.png', await encoded('png', 400, 300, 4));
});
afterAll(() => dir.remove());

function render(
  input: string | Buffer,
  source: ImageFormat,
  ext: string,
  query: QueryInput = {},
): Promise<RenderedImage> {
  return renderImage({ input, sourceFormat: source, params: parseRenditionParams({ ext, query, source }) });
}

/** What the bytes really are, according to sharp. */
async function inspect(rendered: RenderedImage) {
  const metadata = await sharp(rendered.data, { animated: true }).metadata();
  return { ...metadata, frameHeight: metadata.pageHeight ?? metadata.height };
}

const near = (actual: number[], expected: number[]): boolean =>
  actual.every((value, index) => Math.abs(value - (expected[index] ?? 0)) <= 8);

async function pixelAt(data: Buffer, x: number, y: number): Promise<number[]> {
  const { data: raw, info } = await sharp(data).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * 4;
  return [...raw.subarray(at, at + 4)];
}

describe('renderImage formats and sizes', () => {
  it('encodes every output format with the right content type and dimensions', async () => {
    const expected = {
      jpg: ['jpeg', 'image/jpeg'],
      png: ['png', 'image/png'],
      webp: ['webp', 'image/webp'],
      avif: ['heif', 'image/avif'],
      gif: ['gif', 'image/gif'],
    } as const;
    for (const [ext, [sharpFormat, contentType]] of Object.entries(expected)) {
      const rendered = await render(jpegPath, 'jpeg', ext, { size: 's' });
      expect(rendered.contentType, ext).toBe(contentType);
      expect([rendered.width, rendered.height], ext).toEqual([400, 300]); // short side 300 < 320: not enlarged
      const actual = await inspect(rendered);
      expect(actual.format, ext).toBe(sharpFormat);
      expect([actual.width, actual.frameHeight], ext).toEqual([400, 300]);
    }
  });

  it('size presets keep the aspect and set the short side', async () => {
    const big = await dir.write('big.jpg', await encoded('jpeg', 1500, 1000));
    for (const [size, width, height] of [
      ['s', 480, 320],
      ['m', 960, 640],
      ['l', 1500, 1000],
    ] as const) {
      const rendered = await render(big, 'jpeg', 'webp', { size });
      expect([rendered.width, rendered.height], size).toEqual([width, height]);
      const actual = await inspect(rendered);
      expect([actual.width, actual.height], size).toEqual([width, height]);
    }
  });

  it('each fit, with exact output sizes', async () => {
    const cases = [
      ['scale-down', 200, 150],
      ['contain', 200, 150],
      ['cover', 200, 200],
      ['crop', 200, 200],
      ['pad', 200, 200],
    ] as const;
    for (const [fit, width, height] of cases) {
      const rendered = await render(jpegPath, 'jpeg', 'jpg', { w: '200', h: '200', fit });
      const actual = await inspect(rendered);
      expect([rendered.width, rendered.height, actual.width, actual.height], fit).toEqual([
        width,
        height,
        width,
        height,
      ]);
    }
  });

  it('scale-down never enlarges; contain does', async () => {
    const small = await dir.write('small.png', await encoded('png', 40, 30));
    expect(await render(small, 'png', 'png', { w: '80', h: '80' })).toMatchObject({ width: 40, height: 30 });
    expect(await render(small, 'png', 'png', { w: '80', fit: 'contain' })).toMatchObject({
      width: 80,
      height: 60,
    });
  });

  it('pads with white for opaque images and JPEG, with transparency for alpha images in alpha formats', async () => {
    const opaque = await render(jpegPath, 'jpeg', 'png', { w: '200', h: '200', fit: 'pad' });
    expect(await pixelAt(opaque.data, 100, 2)).toEqual([255, 255, 255, 255]);
    const transparent = await render(alphaPngPath, 'png', 'png', { w: '200', h: '200', fit: 'pad' });
    expect((await pixelAt(transparent.data, 100, 2))[3]).toBe(0);
    const flattened = await render(alphaPngPath, 'png', 'jpg', { w: '200', h: '200', fit: 'pad' });
    expect(await pixelAt(flattened.data, 100, 2)).toEqual([255, 255, 255, 255]);
  });

  it('social: 1200×630, opaque, the whole image on white', async () => {
    const rendered = await render(alphaPngPath, 'png', 'png', { size: 'social' });
    const actual = await inspect(rendered);
    expect([actual.width, actual.height, actual.hasAlpha]).toEqual([1200, 630, false]);
    expect(await pixelAt(rendered.data, 5, 315)).toEqual([255, 255, 255, 255]);
  });

  it('q changes the size of lossy outputs', async () => {
    const low = await render(jpegPath, 'jpeg', 'jpg', { q: '20' });
    const high = await render(jpegPath, 'jpeg', 'jpg', { q: '95' });
    expect(low.data.length).toBeLessThan(high.data.length);
  });
});

describe('renderImage cleans every output', () => {
  it('strips EXIF and GPS and applies the orientation, the original included', async () => {
    const source = await jpegWithGps(400, 300);
    const before = await sharp(source).metadata();
    expect(before.exif?.includes(Buffer.from([0x25, 0x88]))).toBe(true); // GPS IFD pointer tag
    expect(before.orientation).toBe(6);
    const path = await dir.write('gps.jpg', source);
    for (const [ext, query] of [
      ['jpg', {}],
      ['webp', { size: 'm' }],
      ['png', { w: '100' }],
    ] as const) {
      const rendered = await render(path, 'jpeg', ext, query);
      const after = await sharp(rendered.data).metadata();
      expect(after.exif, ext).toBeUndefined();
      expect(after.xmp, ext).toBeUndefined();
      expect(after.orientation, ext).toBeUndefined();
      expect(after.height, ext).toBeGreaterThan(after.width); // rotated to display orientation
    }
  });

  it('converts to sRGB without an ICC profile (CMYK and Display P3 inputs)', async () => {
    const raw = photo(64, 48);
    const cmyk = await sharp(raw, { raw: { width: 64, height: 48, channels: 3 } })
      .toColorspace('cmyk')
      .jpeg()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const p3 = await sharp(raw, { raw: { width: 64, height: 48, channels: 3 } })
      .withIccProfile('p3')
      .png()
      .toBuffer();
    expect((await sharp(p3).metadata()).hasProfile).toBe(true);
    for (const [bytes, format] of [
      [cmyk, 'jpeg'],
      [p3, 'png'],
    ] as const) {
      const rendered = await render(bytes, format, format === 'jpeg' ? 'jpg' : 'png');
      const after = await sharp(rendered.data).metadata();
      expect([after.space, after.channels, after.hasProfile, after.icc], format).toEqual([
        'srgb',
        3,
        false,
        undefined,
      ]);
    }
    // The pixels were converted, not just relabelled: sRGB (220, 40, 40) stored as Display P3 values comes
    // back as (220, 40, 40), although the stored numbers are different.
    const red = await sharp({
      create: { width: 4, height: 4, channels: 3, background: { r: 220, g: 40, b: 40 } },
    })
      .withIccProfile('p3')
      .png()
      .toBuffer();
    const stored = await sharp(red, { ignoreIcc: true }).raw().toBuffer();
    expect(near([...stored.subarray(0, 3)], [220, 40, 40])).toBe(false);
    const [r = 0, g = 0, b = 0] = await pixelAt((await render(red, 'png', 'png')).data, 1, 1);
    expect(near([r, g, b], [220, 40, 40])).toBe(true);
  });

  it('keeps PNG lossless: the pixels of the original survive exactly (8-bit RGBA and 16-bit)', async () => {
    const rendered = await render(alphaPngPath, 'png', 'png');
    const source = await sharp(alphaPngPath).raw().toBuffer();
    expect((await sharp(rendered.data).raw().toBuffer()).equals(source)).toBe(true);

    // A Uint16Array makes sharp read 16-bit samples.
    const deep = Uint16Array.from({ length: 16 * 8 * 3 }, (_, i) => (i * 1954) % 65_536);
    const png16 = await sharp(deep, { raw: { width: 16, height: 8, channels: 3 } })
      .toColorspace('rgb16')
      .png()
      .toBuffer();
    const out16 = await render(png16, 'png', 'png');
    expect((await sharp(out16.data).metadata()).depth).toBe('ushort');
    const pixels = (data: Buffer) => sharp(data).toColorspace('rgb16').raw({ depth: 'ushort' }).toBuffer();
    expect((await pixels(out16.data)).equals(await pixels(png16))).toBe(true);
  });

  it('keeps a lossless WebP original lossless', async () => {
    const raw = photo(32, 24, 4);
    const lossless = await sharp(raw, { raw: { width: 32, height: 24, channels: 4 } })
      .webp({ lossless: true })
      .toBuffer();
    const rendered = await render(lossless, 'webp', 'webp');
    expect((await sharp(rendered.data).raw().toBuffer()).equals(await sharp(lossless).raw().toBuffer())).toBe(
      true,
    );
  });
});

describe('renderImage animations', () => {
  it('keeps animated GIF and WebP when the output can animate, resized frame by frame', async () => {
    const gif = await dir.write('anim.gif', await animated('gif', 3, 80, 60));
    const cases = [
      ['gif', {}, 80, 60],
      ['webp', {}, 80, 60],
      ['gif', { w: '40' }, 40, 30],
      ['webp', { w: '40', h: '40', fit: 'cover' }, 40, 40],
      ['gif', { w: '50', h: '50', fit: 'pad' }, 50, 50],
    ] as const;
    for (const [ext, query, width, height] of cases) {
      const rendered = await render(gif, 'gif', ext, query);
      const actual = await inspect(rendered);
      expect([actual.pages, actual.width, actual.frameHeight], `${ext} ${JSON.stringify(query)}`).toEqual([
        3,
        width,
        height,
      ]);
      expect([rendered.width, rendered.height]).toEqual([width, height]);
    }
    const webp = await animated('webp', 4, 30, 20);
    expect((await inspect(await render(webp, 'webp', 'webp'))).pages).toBe(4);
  });

  it('takes the first frame for formats that cannot animate', async () => {
    const gif = await animated('gif', 3, 80, 60);
    for (const ext of ['jpg', 'png', 'avif']) {
      const actual = await inspect(await render(gif, 'gif', ext));
      expect([actual.pages ?? 1, actual.width, actual.height], ext).toEqual([1, 80, 60]);
    }
  });
});

describe('renderImage SVG', () => {
  const svg = cleanSvg(
    'width="120" height="60"',
    '<rect width="60" height="60" fill="#ff0000"/><script>alert(1)</script>',
  );

  it('serves the sanitized text as the original', async () => {
    const rendered = await render(await dir.write('a.svg', svg), 'svg', 'svg');
    expect(rendered).toMatchObject({ contentType: 'image/svg+xml', format: 'svg', width: 120, height: 60 });
    const text = rendered.data.toString('utf8');
    expect(text).toContain('<rect width="60" height="60" fill="#ff0000"/>');
    expect(text).not.toContain('script');
  });

  it('rasterizes at the requested size', async () => {
    const input = Buffer.from(svg);
    const full = await render(input, 'svg', 'png');
    expect([full.contentType, full.width, full.height]).toEqual(['image/png', 120, 60]);
    expect(await pixelAt(full.data, 10, 30)).toEqual([255, 0, 0, 255]);
    expect((await pixelAt(full.data, 100, 30))[3]).toBe(0); // transparent where nothing is drawn

    const wide = await render(input, 'svg', 'png', { w: '480' });
    expect([wide.width, wide.height]).toEqual([120, 60]); // scale-down: vector or not, no enlarging
    const big = await render(input, 'svg', 'webp', { w: '480', fit: 'contain' });
    expect([big.width, big.height]).toEqual([480, 240]);
    expect(near(await pixelAt(big.data, 100, 120), [255, 0, 0, 255])).toBe(true); // lossy WebP

    const cover = await render(input, 'svg', 'jpg', { w: '100', h: '100', fit: 'cover' });
    const coverMeta = await sharp(cover.data).metadata();
    expect([coverMeta.width, coverMeta.height, coverMeta.format]).toEqual([100, 100, 'jpeg']);

    const social = await render(input, 'svg', 'png', { size: 'social' });
    const socialMeta = await sharp(social.data).metadata();
    expect([socialMeta.width, socialMeta.height, socialMeta.hasAlpha]).toEqual([1200, 630, false]);
  });

  it('rasterizes physical units like a browser (96 px per inch)', async () => {
    const inches = cleanSvg('width="1in" height="0.5in"', '<rect width="96" height="48" fill="blue"/>');
    const rendered = await render(Buffer.from(inches), 'svg', 'png');
    expect([rendered.width, rendered.height]).toEqual([96, 48]);
    expect(await pixelAt(rendered.data, 90, 40)).toEqual([0, 0, 255, 255]);
  });
});

describe('renderImage decoded-by-JavaScript sources', () => {
  const pixel = (x: number, y: number): [number, number, number, number] => [x * 20, y * 20, 200, 255];

  it('BMP (bottom-up and top-down) becomes an exact PNG', async () => {
    for (const topDown of [false, true]) {
      const rendered = await render(bmp(9, 7, { bitsPerPixel: 24, topDown, pixel }), 'bmp', 'png');
      expect([rendered.contentType, rendered.width, rendered.height]).toEqual(['image/png', 9, 7]);
      expect(await pixelAt(rendered.data, 0, 0)).toEqual([0, 0, 200, 255]);
      expect(await pixelAt(rendered.data, 8, 6)).toEqual([160, 120, 200, 255]);
    }
  });

  it('ICO renders its largest entry with alpha, and resizes', async () => {
    const icon = ico([
      { width: 16, height: 16 },
      { width: 32, height: 32, pixel: (x) => [255, 0, 0, x < 16 ? 255 : 0] },
    ]);
    const rendered = await render(icon, 'ico', 'png');
    expect([rendered.width, rendered.height]).toEqual([32, 32]);
    expect(await pixelAt(rendered.data, 4, 4)).toEqual([255, 0, 0, 255]);
    expect((await pixelAt(rendered.data, 28, 4))[3]).toBe(0);
    expect(await render(icon, 'ico', 'webp', { w: '64', fit: 'contain' })).toMatchObject({
      width: 64,
      height: 64,
    });
  });

  it('HEIC that cannot be decoded is an ImageFailureError', async () => {
    await expect(render(await rebrandedHeic(), 'heic', 'jpg')).rejects.toBeInstanceOf(ImageFailureError);
  });
});

describe('renderImage failures and bounds', () => {
  it('refuses a truncated source', async () => {
    const jpeg = await encoded('jpeg', 200, 150);
    const rendering = render(jpeg.subarray(0, jpeg.length / 2), 'jpeg', 'jpg', { size: 's' });
    await expect(rendering).rejects.toMatchObject({ name: 'ImageFailureError', reason: 'corrupt' });
  });

  it('runs on the work queue', async () => {
    const queue = new ImageWorkQueue(1);
    const params = parseRenditionParams({ ext: 'webp', query: { size: 's' }, source: 'jpeg' });
    const renders = [1, 2, 3].map(() =>
      renderImage({ input: jpegPath, sourceFormat: 'jpeg', params, queue }),
    );
    expect([queue.active, queue.depth]).toEqual([1, 2]);
    await Promise.all(renders);
    expect([queue.active, queue.depth]).toEqual([0, 0]);
  });
});
