import { describe, expect, it } from 'vitest';
import {
  encoderSettings,
  isFreeRendition,
  isOpaqueRendition,
  keepsPyramid,
  minimalRendition,
  neutralParams,
  outputMsPerMp,
  planRendition,
  presetRendition,
  RENDITION_OPERATIONS,
  scaleRendition,
} from './rendition-operations.ts';
import { parseRenditionParams, renditionKey } from './rendition-params.ts';

const parse = (ext: string, query: Record<string, string>) =>
  parseRenditionParams({ ext, query, source: 'jpeg' });

// These hold for every entry, so a new operation is checked by them without a new test.
describe('the rendition operation registry', () => {
  it('has one entry per name and per query parameter, format last (its key part is the extension)', () => {
    const names = RENDITION_OPERATIONS.map((operation) => operation.name);
    expect(new Set(names).size).toBe(names.length);
    const query = RENDITION_OPERATIONS.flatMap((operation) => operation.query);
    expect(new Set(query).size).toBe(query.length);
    expect(names.at(-1)).toBe('format');
    expect(RENDITION_OPERATIONS.filter((operation) => operation.plan !== undefined)).toHaveLength(1);
  });

  it('ignores an invalid value of every query parameter', () => {
    for (const operation of RENDITION_OPERATIONS) {
      for (const name of operation.query) {
        for (const junk of ['', 'x', '-1', '0', '1e3', '12.5', '999999999999', 'constructor', '__proto__']) {
          const params = parse('jpg', { [name]: junk });
          expect(params.original, `${name}=${junk}`).toBe(true);
          expect(renditionKey(params), `${name}=${junk}`).toBe('original.jpeg');
        }
      }
    }
  });

  it('leaves neutral params alone: no pixel change, no key part (existing keys stay), levels allowed', () => {
    const neutral = { ...neutralParams('jpeg'), format: 'webp' } as const;
    for (const operation of RENDITION_OPERATIONS) {
      expect(operation.transforms(neutral), operation.name).toBe(false);
      expect(operation.normalize?.(neutral) ?? neutral, operation.name).toEqual(neutral);
      // `resize` gives the base (`full`, `m`, `w800-h0-cover`), `format` the extension; the others append.
      if (operation.name === 'resize') expect(operation.key(neutral)).toBe('full');
      else if (operation.name === 'format') expect(operation.key(neutral)).toBe('.webp');
      else expect(operation.key(neutral), operation.name).toBe('');
    }
    expect(renditionKey(neutral)).toBe('full.webp');
    expect(encoderSettings(neutral)).toEqual({});
    expect(isOpaqueRendition(neutral)).toBe(false);
    expect(keepsPyramid(parse('webp', { size: 'm' }))).toBe(true);
  });

  it('plans, scales and shrinks through the geometry entry', () => {
    const source = { width: 4000, height: 3000 };
    expect(planRendition(source, parse('jpg', {}), 65_535)).toMatchObject({ width: 4000, resized: false });
    expect(planRendition(source, parse('jpg', { size: 'm' }), 65_535)).toMatchObject({ width: 853 });
    const box = parse('jpg', { w: '800', h: '600', fit: 'cover' });
    expect(scaleRendition(box, { width: 800, height: 600 }, 0.5).resize).toEqual({
      kind: 'box',
      width: 400,
      height: 300,
      fit: 'cover',
    });
    expect(minimalRendition(box).resize).toEqual({ kind: 'box', width: 1, height: 1, fit: 'scale-down' });
  });

  it('gives each part its effect: quality to the encoder, social opaque, encoders their cost', () => {
    expect(encoderSettings(parse('jpg', { q: '55' }))).toEqual({ quality: 55 });
    expect(encoderSettings(parse('png', { q: '55' }))).toEqual({});
    expect(isOpaqueRendition(parse('png', { size: 'social' }))).toBe(true);
    expect(outputMsPerMp(parse('avif', { w: '10' }))).toBe(600);
    expect(outputMsPerMp(parse('jpg', { q: '10' }))).toBe(70);
    expect(keepsPyramid(parse('png', { size: 'm' }))).toBe(false);
    expect(keepsPyramid(parse('jpg', { q: '50' }))).toBe(false);
  });

  it('does not read format names off Object.prototype', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(renditionKey(parse('jpg', { format: name }))).toBe('original.jpeg');
      expect(renditionKey(parse(name, { size: 'm' }))).toBe('m.jpeg');
    }
  });
});

describe('the entries of issue 18', () => {
  const withAccept = (
    ext: string,
    query: Record<string, string>,
    accept: string,
    source: 'jpeg' | 'png' | 'gif' = 'jpeg',
  ) => parseRenditionParams({ ext, query, source, accept });

  it('keys each transform after the geometry, in registry order', () => {
    const params = parse('webp', {
      w: '400',
      h: '300',
      fit: 'cover',
      gravity: 'top',
      blur: '5',
      q: '70',
      dpr: '2',
    });
    expect(renditionKey(params)).toBe('w800-h600-cover-gnorth-blur5-q70.webp');
    expect(renditionKey(parse('png', { w: '10', h: '10', fit: 'pad', bg: '#ABC' }))).toBe(
      'w10-h10-pad-bgaabbcc.png',
    );
    expect(renditionKey(parse('jpg', { size: 'm', q: 'auto' }))).toBe('m-qauto.jpeg');
  });

  it('prices blur by its sigma and q=auto by its search', () => {
    const base = outputMsPerMp(parse('webp', { w: '100' }));
    expect(outputMsPerMp(parse('webp', { w: '100', blur: '100' }))).toBeGreaterThan(base + 100);
    expect(outputMsPerMp(parse('webp', { w: '100', blur: '1' }))).toBeLessThan(base + 20);
    expect(outputMsPerMp(parse('webp', { w: '100', q: 'auto' }))).toBeGreaterThan(4 * base);
  });

  it('negotiates the format from Accept, and keeps it out of the key', () => {
    expect(withAccept('auto', { size: 'm' }, 'image/avif,image/webp,*/*')).toMatchObject({
      format: 'avif',
      negotiated: true,
    });
    expect(withAccept('jpg', { format: 'AUTO' }, 'image/webp')).toMatchObject({
      format: 'webp',
      negotiated: true,
    });
    expect(withAccept('auto', {}, '*/*')).toMatchObject({ format: 'jpeg', original: true });
    expect(withAccept('auto', {}, '', 'png').format).toBe('png');
    expect(withAccept('auto', {}, 'image/jpeg', 'gif').format).toBe('gif');
    expect(renditionKey(withAccept('auto', { size: 'm' }, 'image/webp'))).toBe('m.webp');
    expect(withAccept('webp', {}, 'image/avif').negotiated).toBeUndefined();
  });

  it('tells free renditions (presets, srcset widths, formats) from counted ones', () => {
    const free: Record<string, string>[] = [
      {},
      { size: 'm' },
      { w: '640' },
      { format: 'webp' },
      { w: '320', dpr: '2' },
    ];
    const counted: Record<string, string>[] = [
      { w: '641' },
      { q: '50' },
      { size: 'm', blur: '3' },
      { w: '640', fit: 'contain' },
    ];
    for (const query of free) {
      expect(isFreeRendition(parse('jpg', query)), JSON.stringify(query)).toBe(true);
    }
    for (const query of counted) {
      expect(isFreeRendition(parse('jpg', query)), JSON.stringify(query)).toBe(false);
    }
    expect(presetRendition(withAccept('auto', { w: '700' }, 'image/webp'), 's')).toEqual({
      format: 'webp',
      resize: { kind: 'preset', size: 's' },
      quality: null,
      original: false,
      negotiated: true,
    });
  });
});
