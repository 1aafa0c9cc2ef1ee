import { describe, expect, it } from 'vitest';
import { CAREFUL_JPEG_MAX_PIXELS } from './lossy-output.ts';
import { renderImage } from './render.ts';
import { parseRenditionParams, type QueryInput } from './rendition-params.ts';
import { sharp } from './sharp-lib.ts';
import { photoLike } from './testing/fixtures.ts';

// The encoder settings chosen in lossy-output.ts (docs/benchmarks.md, "Encoder settings"), pinned through
// renderImage: a change to them should be a decision, with its measurement, not an accident.

const render = async (input: Buffer, ext: string, query: QueryInput = {}) =>
  (
    await renderImage({
      input,
      sourceFormat: 'jpeg',
      params: parseRenditionParams({ ext, query, source: 'jpeg' }),
    })
  ).data;

describe('lossy encoder settings', () => {
  it('JPEG renditions of photos are progressive, 4:2:0, and the default quality is 83', async () => {
    // A camera-like source (4:2:0) is photographic: its renditions subsample chroma.
    const source = await photoLike(640, 480);
    const rendition = await render(source, 'jpg', { w: '320' });
    const meta = await sharp(rendition).metadata();
    expect(meta).toMatchObject({
      format: 'jpeg',
      width: 320,
      isProgressive: true,
      chromaSubsampling: '4:2:0',
    });
    expect(rendition.equals(await render(source, 'jpg', { w: '320', q: '83' }))).toBe(true);
    expect(rendition.equals(await render(source, 'jpg', { w: '320', q: '80' }))).toBe(false);
  });

  it('JPEG gets the careful (trellis) coding up to 3 MP and q90 only, so its cost stays bounded', async () => {
    const careful = {
      progressive: true,
      trellisQuantisation: true,
      optimiseCoding: true,
    };
    const plain = { progressive: true, optimiseCoding: true };
    // No resize (the source's own size): the rendition is the decoded source encoded once.
    const encoded = (source: Buffer, quality: number, options: object) =>
      sharp(source)
        .jpeg({ ...options, quality, quantisationTable: 0 })
        .toBuffer();
    const small = await photoLike(1600, 1200, 4);
    expect(1600 * 1200).toBeLessThanOrEqual(CAREFUL_JPEG_MAX_PIXELS);
    const smallQ84 = await render(small, 'jpg', { q: '84' });
    expect(smallQ84.equals(await encoded(small, 84, careful))).toBe(true);
    expect(smallQ84.equals(await encoded(small, 84, plain))).toBe(false);
    expect((await render(small, 'jpg', { q: '95' })).equals(await encoded(small, 95, plain))).toBe(true);
    const large = await photoLike(2200, 1500, 5);
    expect(2200 * 1500).toBeGreaterThan(CAREFUL_JPEG_MAX_PIXELS);
    expect((await render(large, 'jpg', { q: '84' })).equals(await encoded(large, 84, plain))).toBe(true);
  });

  it('the default WebP quality is 83', async () => {
    const source = await photoLike(640, 480, 2);
    const rendition = await render(source, 'webp', { w: '320' });
    expect(await sharp(rendition).metadata()).toMatchObject({ format: 'webp', width: 320 });
    expect(rendition.equals(await render(source, 'webp', { w: '320', q: '83' }))).toBe(true);
    expect(rendition.equals(await render(source, 'webp', { w: '320', q: '80' }))).toBe(false);
  });

  it('WebP renditions are resampled with Lanczos 2', async () => {
    const source = await photoLike(640, 480, 3);
    const pixels = async (data: Buffer) => sharp(data).raw().toBuffer();
    // The same encoder after a resize with either kernel: the rendition is the Lanczos 2 one.
    const expected = async (kernel: 'lanczos2' | 'lanczos3') =>
      pixels(await sharp(source).resize(320, 240, { kernel }).webp({ quality: 83, effort: 4 }).toBuffer());
    const webp = await pixels(await render(source, 'webp', { w: '320' }));
    expect(webp.equals(await expected('lanczos2'))).toBe(true);
    expect(webp.equals(await expected('lanczos3'))).toBe(false);
  });
});
