import { describe, expect, it } from 'vitest';
import { isLosslessWebp, jpegDimensions, readRasterDimensions } from './header-dimensions.ts';
import { readHeifHeader } from './heif-header.ts';
import { withByteSource } from './image-source.ts';
import { probeImage } from './probe.ts';
import { sharp } from './sharp-lib.ts';
import { animated, encoded, photo } from './testing/fixtures.ts';

describe('header parsers (no decoder involved)', () => {
  it('read PNG, GIF, WebP (lossy, lossless, extended) and JPEG dimensions', async () => {
    const raw = photo(33, 21, 4);
    const options = { raw: { width: 33, height: 21, channels: 4 as const } };
    const cases = [
      ['png', await encoded('png', 33, 21)],
      ['gif', await animated('gif', 2, 33, 21)],
      ['webp', await encoded('webp', 33, 21)],
      ['webp', await sharp(raw, options).webp({ lossless: true }).toBuffer()],
      ['webp', await sharp(raw, options).webp().toBuffer()], // alpha: VP8X
      ['webp', await animated('webp', 2, 33, 21)],
      ['jpeg', await encoded('jpeg', 33, 21)],
    ] as const;
    for (const [format, bytes] of cases) {
      const dimensions = await withByteSource(bytes, (source) => readRasterDimensions(format, source));
      expect(dimensions, format).toEqual({ width: 33, height: 21 });
    }
  });

  it('finds a JPEG frame header behind more than 256 KiB of APP segments', async () => {
    const jpeg = await encoded('jpeg', 12, 34);
    const segment = Buffer.alloc(65_535 + 2, 0x20);
    segment.writeUInt16BE(0xffe9, 0); // APP9, ignored by decoders
    segment.writeUInt16BE(65_535, 2);
    const padded = Buffer.concat([
      jpeg.subarray(0, 2),
      ...Array.from({ length: 6 }, () => segment),
      jpeg.subarray(2),
    ]);
    expect(jpegDimensions(padded.subarray(0, 256 * 1024))).toBe('need-more');
    expect(await withByteSource(padded, (source) => readRasterDimensions('jpeg', source))).toEqual({
      width: 12,
      height: 34,
    });
    expect(await probeImage(padded)).toMatchObject({ ok: true, width: 12, height: 34 });
  });

  it('tells lossless WebP from lossy', async () => {
    const raw = photo(8, 8, 4);
    const options = { raw: { width: 8, height: 8, channels: 4 as const } };
    expect(isLosslessWebp(await sharp(raw, options).webp({ lossless: true }).toBuffer())).toBe(true);
    expect(isLosslessWebp(await sharp(raw, options).webp().toBuffer())).toBe(false);
    expect(isLosslessWebp(await encoded('webp', 8, 8))).toBe(false);
  });

  it('reads the primary image size and alpha from a HEIF container', async () => {
    const opaque = await encoded('avif', 40, 30);
    const withAlpha = await encoded('avif', 40, 30, 4);
    expect(await withByteSource(opaque, readHeifHeader)).toEqual({
      width: 40,
      height: 30,
      hasAlpha: false,
      itemType: 'av01',
    });
    expect(await withByteSource(withAlpha, readHeifHeader)).toMatchObject({
      width: 40,
      height: 30,
      hasAlpha: true,
    });
    expect(await withByteSource(opaque.subarray(0, 40), readHeifHeader)).toBeNull();
  });

  it('probe passes file-system errors through instead of blaming the file', async () => {
    await expect(probeImage('/nonexistent/lightbox/upload.tmp')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
