import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageFormat } from './image-format.ts';
import { buildPyramid, levelEncoding, levelSize, pickLevel, pyramidDepth } from './pyramid.ts';
import { renderImage } from './render.ts';
import { parseRenditionParams, type QueryInput } from './rendition-params.ts';
import { sharp } from './sharp-lib.ts';
import { photo, photoLike } from './testing/fixtures.ts';
import { encodeVipsLevel, levelPipeline, vipsLevelHeader } from './vips-level.ts';

const BIG = { width: 4000, height: 3000 };

const params = (ext: string, query: QueryInput = {}, source: ImageFormat = 'jpeg') =>
  parseRenditionParams({ ext, query, source });

/** Peak signal-to-noise ratio of two same-sized images (encoded, or pyramid levels), in dB; Infinity if equal. */
async function psnr(a: Buffer, b: Buffer): Promise<number> {
  const pixels = (image: Buffer) =>
    levelPipeline(image).removeAlpha().toColorspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const left = await pixels(a);
  const right = await pixels(b);
  expect([right.info.width, right.info.height]).toEqual([left.info.width, left.info.height]);
  let sum = 0;
  for (let i = 0; i < left.data.length; i++) {
    const d = (left.data[i] ?? 0) - (right.data[i] ?? 0);
    sum += d * d;
  }
  return 10 * Math.log10((255 * 255) / (sum / left.data.length));
}

describe('pyramid geometry', () => {
  it('halves the original per level and stops before a level falls under size=s', () => {
    expect(pyramidDepth({ ...BIG, format: 'jpeg', frames: 1 })).toBe(3);
    expect([1, 2, 3].map((level) => levelSize(BIG, level))).toEqual([
      { width: 2000, height: 1500 },
      { width: 1000, height: 750 },
      { width: 500, height: 375 },
    ]);
    expect(levelSize({ width: 4001, height: 2999 }, 1)).toEqual({ width: 2001, height: 1500 });
  });

  it('gives small images, animations, vector art and foreign formats no pyramid', () => {
    expect(pyramidDepth({ width: 1999, height: 2000, format: 'jpeg', frames: 1 })).toBe(0);
    expect(pyramidDepth({ ...BIG, format: 'webp', frames: 4 })).toBe(0);
    expect(pyramidDepth({ ...BIG, format: 'svg', frames: 1 })).toBe(0);
    expect(pyramidDepth({ ...BIG, format: 'heic', frames: 1 })).toBe(0);
    expect(pyramidDepth({ ...BIG, format: 'png', frames: 1 })).toBe(3);
    // A panorama whose first half would already be under 320 px high.
    expect(pyramidDepth({ width: 12000, height: 600, format: 'jpeg', frames: 1 })).toBe(0);
  });

  it('picks the smallest level that covers the scaled source a rendition needs', () => {
    const pick = (ext: string, query: QueryInput) => pickLevel(BIG, 3, params(ext, query));
    expect(pick('jpg', { size: 's' })).toBe(3); // 427×320 from 500×375
    expect(pick('jpg', { size: 'm' })).toBe(2); // 853×640 from 1000×750
    expect(pick('avif', { size: 'l' })).toBe(1); // 1440×1080 from 2000×1500
    expect(pick('jpg', { size: 'social' })).toBe(2); // the image inside 1200×630 is 840×630
    expect(pick('jpg', { w: '500', h: '500', fit: 'cover' })).toBe(2); // scaled to 667×500, then cropped
    expect(pick('jpg', { w: '1000' })).toBe(2);
    expect(pick('jpg', { w: '1001' })).toBe(1);
    expect(pick('jpg', { w: '2001' })).toBe(0);
    expect(pick('jpg', { w: '4000', fit: 'contain' })).toBe(0);
  });

  it('gives every lossy format the same covering level', () => {
    const pick = (ext: string, query: QueryInput) => pickLevel(BIG, 3, params(ext, query));
    for (const ext of ['webp', 'avif']) {
      expect(pick(ext, { size: 'm' })).toBe(pick('jpg', { size: 'm' })); // 853×640 from 1000×750
      expect(pick(ext, { size: 's' })).toBe(3); // 427×320 from 500×375
      expect(pick(ext, { size: 'l' })).toBe(1);
      expect(pick(ext, { w: '2001' })).toBe(0);
    }
  });

  it('keeps lossless outputs, unresized renditions and sources without levels on the original', () => {
    expect(pickLevel(BIG, 3, params('png', { size: 's' }))).toBe(0);
    expect(pickLevel(BIG, 3, params('gif', { size: 's' }))).toBe(0);
    expect(pickLevel(BIG, 3, params('jpg'))).toBe(0);
    expect(pickLevel(BIG, 3, params('webp', { q: '50' }))).toBe(0);
    expect(pickLevel(BIG, 0, params('jpg', { size: 's' }))).toBe(0);
  });
});

describe('buildPyramid', () => {
  it('stores levels up to 2 MP uncompressed and larger ones as JPEG, oriented and metadata-free', async () => {
    // Stored 4000×3000 with EXIF orientation 6: displayed 3000×4000.
    const input = await sharp(await photoLike(4000, 3000))
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    const display = { width: 3000, height: 4000 };
    const depth = pyramidDepth({ ...display, format: 'jpeg', frames: 1 });
    expect(depth).toBe(3);
    const levels = await buildPyramid({ input, format: 'jpeg', depth });
    expect(levels.map((l) => [l.level, l.width, l.height, l.encoding])).toEqual([
      [1, 1500, 2000, 'jpeg'],
      [2, 750, 1000, 'vips'],
      [3, 375, 500, 'vips'],
    ]);
    expect(levels.map((l) => levelEncoding(l))).toEqual(levels.map((l) => l.encoding));
    const [jpeg, ...raws] = levels;
    const meta = await sharp(jpeg?.data).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 1500, height: 2000, chromaSubsampling: '4:2:0' });
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
    for (const level of raws) {
      const header = vipsLevelHeader(level.data, level.data.length);
      expect(header).toEqual({ width: level.width, height: level.height, channels: 3 });
    }
    // Upright like the display: the level agrees with the original rotated and resized.
    const upright = await sharp(input).autoOrient().resize(750, 1000, { fit: 'fill' }).png().toBuffer();
    expect(await psnr(upright, raws[0]?.data ?? Buffer.alloc(0))).toBeGreaterThan(50);

    // Renditions read either kind: size=l (1080×1440) from the JPEG level, size=m from the uncompressed one.
    for (const [query, level] of [
      [{ size: 'l' }, jpeg],
      [{ size: 'm' }, raws[0]],
    ] as const) {
      const exact = params('png', query);
      expect(pickLevel(display, depth, params('jpg', query))).toBe(level?.level);
      const direct = await renderImage({ input, sourceFormat: 'jpeg', params: exact });
      const viaLevel = await renderImage({
        input: level?.data ?? Buffer.alloc(0),
        sourceFormat: 'jpeg',
        params: exact,
        plannedSize: display,
      });
      expect([viaLevel.width, viaLevel.height]).toEqual([direct.width, direct.height]);
      expect(await psnr(direct.data, viaLevel.data), JSON.stringify(query)).toBeGreaterThan(40);
    }
  });

  it('keeps no profile or EXIF in an uncompressed level, so a level file renders the colours of the original', async () => {
    // A wide-gamut (Display P3) photo with EXIF: the level holds sRGB pixels; a profile left in the file would make
    // libvips convert them a second time.
    const input = await sharp(await photoLike(2400, 1800, 4))
      .withIccProfile('p3')
      .withExif({ IFD0: { Copyright: 'owner' } })
      .jpeg()
      .toBuffer();
    const [level] = await buildPyramid({ input, format: 'jpeg', depth: 2 });
    const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-level-test-'));
    try {
      const file = path.join(dir, 'level-1.vips');
      await writeFile(file, level?.data ?? Buffer.alloc(0));
      const meta = await sharp(file).metadata();
      expect(meta).toMatchObject({ format: 'vips', width: 1200, height: 900 });
      expect(meta.icc).toBeUndefined();
      expect(meta.exif).toBeUndefined();
      const exact = params('png', { size: 's' });
      const direct = await renderImage({ input, sourceFormat: 'jpeg', params: exact });
      const viaLevel = await renderImage({
        input: file,
        sourceFormat: 'jpeg',
        params: exact,
        plannedSize: { width: 2400, height: 1800 },
      });
      expect(await psnr(direct.data, viaLevel.data)).toBeGreaterThan(40);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads only whole, 8-bit, 1- or 3-band uncompressed levels', async () => {
    const pixels = Buffer.alloc(4 * 3 * 3, 7);
    const whole = await encodeVipsLevel(sharp(pixels, { raw: { width: 4, height: 3, channels: 3 } }));
    const header = (data: Buffer) => vipsLevelHeader(data.subarray(0, 64), data.length);
    expect(header(whole)).toEqual({ width: 4, height: 3, channels: 3 });
    expect((await levelPipeline(whole).raw().toBuffer()).equals(pixels)).toBe(true);
    expect(header(whole.subarray(0, 64 + 4 * 3 * 3 - 1))).toBeNull();
    const edited = (offset: number, value: number) => {
      const copy = Buffer.from(whole);
      copy.writeInt32LE(value, offset);
      return copy;
    };
    expect(header(edited(4, 0))).toBeNull(); // zero wide
    expect(header(edited(4, 1_000_000))).toBeNull(); // wider than the pixels stored
    expect(header(edited(12, 4))).toBeNull(); // four bands (alpha)
    expect(header(edited(20, 2))).toBeNull(); // 16-bit samples
    expect(header(edited(24, 2))).toBeNull(); // coded (LabQ)
    const alpha = await encodeVipsLevel(
      sharp(Buffer.alloc(4 * 3 * 4), { raw: { width: 4, height: 3, channels: 4 } }),
    );
    expect(header(alpha)).toBeNull();
    expect(
      header(Buffer.from('not a level at all, just some bytes, sixty-four of them or more, really.')),
    ).toBeNull();
  });

  it('resizes every level from the original, nearly losslessly, not from the level above', async () => {
    // Fine texture (a diagonal pattern), where resampling twice and lossy levels show; in luma only, since JPEG
    // levels subsample chroma on purpose. 4800×3600: level 1 (4.3 MP) is a JPEG, levels 2 and 3 are uncompressed.
    const input = await sharp(photo(4800, 3600), { raw: { width: 4800, height: 3600, channels: 3 } })
      .grayscale()
      .toColorspace('srgb')
      .jpeg({ quality: 90 })
      .toBuffer();
    const levels = await buildPyramid({ input, format: 'jpeg', depth: 3 });
    expect(levels.map((l) => l.encoding)).toEqual(['jpeg', 'vips', 'vips']);
    for (const level of levels) {
      const direct = await sharp(input).resize(level.width, level.height, { fit: 'fill' }).png().toBuffer();
      // A q100 level of the original's own resize: ≈ 58 dB here; a q95 level ≈ 46 dB, a halved one ≈ 52 dB. An
      // uncompressed level is the resize itself.
      const bound = level.encoding === 'vips' ? 70 : 55;
      expect(await psnr(direct, level.data), `level ${level.level}`).toBeGreaterThan(bound);
    }
    const halved = await levelPipeline(levels[1]?.data ?? Buffer.alloc(0))
      .resize(levels[2]?.width, levels[2]?.height, { fit: 'fill' })
      .png()
      .toBuffer();
    const direct = await sharp(input)
      .resize(levels[2]?.width, levels[2]?.height, { fit: 'fill' })
      .png()
      .toBuffer();
    // Halving level 2 instead loses what a resize from the original keeps.
    expect(await psnr(direct, halved)).toBeLessThan(await psnr(direct, levels[2]?.data ?? Buffer.alloc(0)));

    // Another format decodes once, to level 1, and resizes the smaller levels from it: same sizes, a little softer
    // (level 2 ≈ 50 dB).
    const png = await sharp(input).png({ compressionLevel: 1 }).toBuffer();
    const fromPng = await buildPyramid({ input: png, format: 'png', depth: 3 });
    expect(fromPng.map((l) => [l.width, l.height])).toEqual(levels.map((l) => [l.width, l.height]));
    for (const level of fromPng) {
      const own = await sharp(png).resize(level.width, level.height, { fit: 'fill' }).png().toBuffer();
      expect(await psnr(own, level.data), `PNG level ${level.level}`).toBeGreaterThan(48);
    }
  });

  it('keeps greyscale sources single-channel and builds nothing for sources with transparency', async () => {
    const grey = await sharp(await photoLike(2400, 1800))
      .toColorspace('b-w')
      .png()
      .toBuffer();
    const [level] = await buildPyramid({ input: grey, format: 'png', depth: 1 });
    expect(vipsLevelHeader(level?.data ?? Buffer.alloc(0), level?.data.length ?? 0)?.channels).toBe(1);
    // A rendition from that level stays greyscale, as one from the original would.
    const rendered = await renderImage({
      input: level?.data ?? Buffer.alloc(0),
      sourceFormat: 'jpeg',
      params: params('jpg', { size: 's' }, 'png'),
      plannedSize: { width: 2400, height: 1800 },
    });
    expect(await sharp(rendered.data).metadata()).toMatchObject({ channels: 1, width: 427, height: 320 });

    const alpha = await sharp(await photoLike(2400, 1800))
      .ensureAlpha(0.5)
      .png()
      .toBuffer();
    expect(await buildPyramid({ input: alpha, format: 'png', depth: 2 })).toEqual([]);
  });

  it('renders from a level what the original renders, to the same size and within 40 dB', async () => {
    const input = await photoLike(2400, 1800, 7);
    const original = { width: 2400, height: 1800 };
    const levels = await buildPyramid({ input, format: 'jpeg', depth: 2 });
    // PNG output here only to compare pixels without a second lossy step; delivery uses levels for lossy outputs.
    for (const query of [
      { size: 's' },
      { size: 'm' },
      { w: '300', h: '300', fit: 'cover' },
      { size: 'social' },
    ]) {
      const lossy = params('jpg', query);
      const level = pickLevel(original, levels.length, lossy);
      expect(level, JSON.stringify(query)).toBeGreaterThan(0);
      const exact = params('png', query);
      const direct = await renderImage({ input, sourceFormat: 'jpeg', params: exact });
      const viaLevel = await renderImage({
        input: levels[level - 1]?.data ?? Buffer.alloc(0),
        sourceFormat: 'jpeg',
        params: exact,
        plannedSize: original,
      });
      expect([viaLevel.width, viaLevel.height]).toEqual([direct.width, direct.height]);
      expect(await psnr(direct.data, viaLevel.data), JSON.stringify(query)).toBeGreaterThan(40);
    }
  });
});
