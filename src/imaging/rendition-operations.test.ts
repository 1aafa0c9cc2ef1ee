import { describe, expect, it } from 'vitest';
import {
  encoderSettings,
  isOpaqueRendition,
  keepsPyramid,
  minimalRendition,
  neutralParams,
  outputMsPerMp,
  planRendition,
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
    expect(outputMsPerMp(parse('jpg', { q: '10' }))).toBe(50);
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
