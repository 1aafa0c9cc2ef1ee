import { describe, expect, it } from 'vitest';
import type { ImageFormat } from './image-format.ts';
import { parseRenditionParams, type QueryInput, renditionKey } from './rendition-params.ts';
import { planResize } from './resize-plan.ts';

const parse = (ext: string, query: QueryInput = {}, source: ImageFormat = 'jpeg') =>
  parseRenditionParams({ ext, query, source });
const key = (ext: string, query: QueryInput = {}, source: ImageFormat = 'jpeg') =>
  renditionKey(parse(ext, query, source));

describe('parseRenditionParams', () => {
  it('the unparameterised original in its delivery format', () => {
    expect(parse('jpg')).toEqual({ format: 'jpeg', resize: null, quality: null, original: true });
    expect(key('jpg')).toBe('original.jpeg');
    expect(key('jpeg')).toBe('original.jpeg');
    expect(key('png', {}, 'png')).toBe('original.png');
    expect(key('svg', {}, 'svg')).toBe('original.svg');
    // Formats no browser shows (or sharp cannot write) are delivered as JPEG / PNG.
    expect(key('jpg', {}, 'heic')).toBe('original.jpeg');
    expect(key('png', {}, 'bmp')).toBe('original.png');
    expect(key('png', {}, 'ico')).toBe('original.png');
  });

  it('size presets, format from the extension or the format parameter', () => {
    expect(parse('webp', { size: 'm' })).toEqual({
      format: 'webp',
      resize: { kind: 'preset', size: 'm' },
      quality: null,
      original: false,
    });
    expect(key('webp', { size: 'm' })).toBe('m.webp');
    expect(key('jpg', { size: 'social' })).toBe('social.jpeg');
    expect(key('jpg', { size: 'S', format: 'AVIF' })).toBe('s.avif');
    expect(key('png', {}, 'jpeg')).toBe('full.png');
  });

  it('w, h, fit and q', () => {
    expect(parse('jpg', { w: '800', fit: 'cover', q: '80' })).toEqual({
      format: 'jpeg',
      resize: { kind: 'box', width: 800, height: null, fit: 'contain' },
      quality: 80,
      original: false,
    });
    expect(key('jpg', { w: '800', h: '600', fit: 'cover', q: '80' })).toBe('w800-h600-cover-q80.jpeg');
    expect(key('webp', { h: '300' })).toBe('w0-h300-scale-down.webp');
    expect(key('png', { w: '10', h: '20', fit: 'pad' }, 'png')).toBe('w10-h20-pad.png');
    expect(key('jpg', { q: '55' })).toBe('full-q55.jpeg');
  });

  it('ignores every invalid value instead of failing', () => {
    const invalid = { size: 'xl', w: '-5', h: 'abc', fit: 'stretch', q: '0', format: 'tiff' };
    expect(parse('jpg', invalid)).toEqual({ format: 'jpeg', resize: null, quality: null, original: true });
    expect(key('jpg', { w: '12.5', h: '1e3', q: '101' })).toBe('original.jpeg');
    expect(key('jpg', { q: '80.5', w: '0' })).toBe('original.jpeg');
    expect(key('bmp', { size: 'm' }, 'png')).toBe('m.png'); // unknown extension: the source's delivery format
    expect(key('svg', {}, 'jpeg')).toBe('original.jpeg'); // .svg of a raster is not a thing
    expect(key('jpg', { fit: 'cover' })).toBe('original.jpeg'); // fit without a size means nothing
    expect(key('jpg', { w: ['300', '400'] })).toBe('w300-h0-scale-down.jpeg');
    expect(key('jpg', { w: 300 })).toBe('original.jpeg'); // not a string: not from a query string
  });

  it('clamps huge w/h to 8192 and drops q where it means nothing', () => {
    expect(key('jpg', { w: '100000', h: '9000', fit: 'cover' })).toBe('w8192-h8192-cover.jpeg');
    expect(key('png', { size: 'l', q: '50' })).toBe('l.png');
    expect(key('gif', { q: '50' }, 'gif')).toBe('original.gif');
  });

  it('size wins over w/h; one-sided boxes collapse to scale-down or contain', () => {
    expect(key('jpg', { size: 'l', w: '100', h: '100', fit: 'cover' })).toBe('l.jpeg');
    for (const fit of ['contain', 'cover', 'crop', 'pad'])
      expect(key('jpg', { w: '100', fit })).toBe('w100-h0-contain.jpeg');
  });

  it('gives an SVG with parameters a raster format', () => {
    expect(key('svg', { size: 'm' }, 'svg')).toBe('m.png');
    expect(key('svg', { q: '70' }, 'svg')).toBe('full.png');
    expect(key('svg', { format: 'webp' }, 'svg')).toBe('full.webp');
    expect(key('jpg', { w: '64' }, 'svg')).toBe('w64-h0-scale-down.jpeg');
  });

  it('reads URLSearchParams as well as plain objects, with the same key', () => {
    const query = new URLSearchParams('w=640&h=480&fit=crop&q=70&utm_source=x');
    expect(key('webp', query)).toBe('w640-h480-crop-q70.webp');
    expect(key('webp', Object.fromEntries(query))).toBe('w640-h480-crop-q70.webp');
  });
});

describe('planResize', () => {
  const source = { width: 4000, height: 3000 };
  const box = (
    width: number | null,
    height: number | null,
    fit: 'scale-down' | 'contain' | 'cover' | 'crop' | 'pad',
  ) => ({ kind: 'box', width, height, fit }) as const;

  it('size presets set the short side and never enlarge', () => {
    expect(planResize(source, { kind: 'preset', size: 'm' }, 65_535)).toMatchObject({
      width: 853,
      height: 640,
    });
    expect(planResize({ width: 300, height: 900 }, { kind: 'preset', size: 's' }, 65_535)).toMatchObject({
      width: 300,
      height: 900,
      resized: false,
    });
    expect(planResize({ width: 2000, height: 4000 }, { kind: 'preset', size: 'l' }, 65_535)).toMatchObject({
      width: 1080,
      height: 2160,
    });
  });

  it('social is always 1200×630, the image contained', () => {
    expect(planResize({ width: 100, height: 100 }, { kind: 'preset', size: 'social' }, 65_535)).toMatchObject(
      {
        width: 1200,
        height: 630,
        fit: 'contain',
        scale: 6.3,
      },
    );
  });

  it('each fit', () => {
    expect(planResize(source, box(800, 800, 'scale-down'), 65_535)).toMatchObject({
      width: 800,
      height: 600,
    });
    expect(planResize({ width: 40, height: 30 }, box(800, 800, 'scale-down'), 65_535)).toMatchObject({
      width: 40,
      height: 30,
      resized: false,
    });
    expect(planResize({ width: 40, height: 30 }, box(800, 800, 'contain'), 65_535)).toMatchObject({
      width: 800,
      height: 600,
      fit: 'fill',
    });
    expect(planResize(source, box(500, 500, 'cover'), 65_535)).toMatchObject({
      width: 500,
      height: 500,
      fit: 'cover',
    });
    expect(planResize(source, box(500, 500, 'crop'), 65_535)).toMatchObject({
      width: 500,
      height: 500,
      fit: 'cover',
    });
    expect(planResize(source, box(500, 500, 'pad'), 65_535)).toMatchObject({
      width: 500,
      height: 500,
      fit: 'contain',
    });
    expect(planResize(source, box(null, 300, 'scale-down'), 65_535)).toMatchObject({
      width: 400,
      height: 300,
    });
  });

  it('bounds enlargement and the output format', () => {
    expect(planResize({ width: 1, height: 1000 }, box(8192, null, 'contain'), 65_535)).toMatchObject({
      width: 8,
      height: 8192,
    });
    expect(planResize({ width: 20_000, height: 1000 }, null, 16_383)).toMatchObject({
      width: 16_383,
      height: 819,
    });
  });
});
