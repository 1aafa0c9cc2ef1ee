import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IMAGE_FORMATS, type ImageFormat } from './image-format.ts';
import { RENDITION_OPERATIONS } from './rendition-operations.ts';
import { parseRenditionParams, type RenditionParams, renditionKey } from './rendition-params.ts';
import { FITS } from './resize-plan.ts';

const NAMES = RENDITION_OPERATIONS.flatMap((operation) => operation.query);
/** Every word `gravity=` takes (crop-gravity.ts); anything else is invalid. */
const GRAVITY_WORDS = Object.fromEntries(
  [
    'centre',
    'center',
    'north',
    'top',
    'south',
    'bottom',
    'east',
    'right',
    'west',
    'left',
    'northeast',
    'top-right',
    'northwest',
    'top-left',
    'southeast',
    'bottom-right',
    'southwest',
    'bottom-left',
    'auto',
    'attention',
    'entropy',
  ].map((word) => [word, true]),
);
const FORMAT_WORDS = ['jpg', 'jpeg', 'png', 'webp', 'avif', 'gif', 'svg', 'bmp', 'ico', 'heic'];

/** Values near the grammar: valid ones, their edges, case and spacing variants, and junk. */
const value = fc.oneof(
  fc.constantFrom('s', 'm', 'L', 'social', 'SOCIAL', 'xl', ...FITS, 'Cover', 'fill', ...FORMAT_WORDS, 'WebP'),
  fc.integer({ min: -5, max: 20_000 }).map(String),
  fc.constantFrom(
    '0',
    '00',
    '1',
    '100',
    '101',
    '8192',
    '8193',
    '999999999',
    '1e3',
    '0x10',
    ' 80 ',
    '80px',
    '-1',
    '+5',
    '1.5',
    '',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const source = fc.constantFrom<ImageFormat>(...IMAGE_FORMATS);
const ext = fc.oneof(fc.constantFrom(...FORMAT_WORDS, 'JPG', '.png', 'txt', ''), fc.string({ maxLength: 6 }));
/** A query as the HTTP layer hands it: strings, repeated keys as arrays, sometimes stranger values. */
const query = fc.dictionary(
  fc.oneof(fc.constantFrom(...NAMES), fc.constantFrom('__proto__', 'constructor', 'x', 'width')),
  fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 3 }), fc.constant(undefined), fc.integer()),
  { maxKeys: 8 },
);

const parse = (q: Record<string, unknown>, e: string, s: ImageFormat) =>
  parseRenditionParams({ ext: e, query: q, source: s });

/** The query that asks for `params` in the grammar's own words. */
function canonicalQuery(params: RenditionParams): Record<string, string> {
  // A negotiated format is `auto` again: with the same (empty) `Accept` it negotiates the same format.
  const q: Record<string, string> = { format: params.negotiated ? 'auto' : params.format };
  const resize = params.resize;
  if (resize?.kind === 'preset') q.size = resize.size;
  if (resize?.kind === 'box') {
    if (resize.width !== null) q.w = String(resize.width);
    if (resize.height !== null) q.h = String(resize.height);
    q.fit = resize.fit;
  }
  if (params.quality !== null) q.q = String(params.quality);
  if (params.gravity !== undefined) q.gravity = params.gravity;
  if (params.blur !== undefined) q.blur = String(params.blur);
  if (params.background !== undefined) q.bg = params.background;
  return q;
}

describe('rendition query grammar (property-based)', () => {
  it('never throws, and every key is a short file-name-safe string', () => {
    fc.assert(
      fc.property(query, ext, source, (q, e, s) => {
        const params = parse(q, e, s);
        expect(renditionKey(params)).toMatch(/^[a-z0-9.-]{1,60}$/);
      }),
      { numRuns: 1000 },
    );
  });

  it('is canonical: the same rendition always has the same key, different renditions different keys', () => {
    const seen = new Map<string, RenditionParams>();
    fc.assert(
      fc.property(query, ext, source, (q, e, s) => {
        const params = parse(q, e, s);
        const key = `${s}:${renditionKey(params)}`;
        const earlier = seen.get(key);
        if (earlier) expect(params).toEqual(earlier);
        seen.set(key, params);
        // Asking again in canonical words gives back the same params, hence the same key.
        expect(parse(canonicalQuery(params), e, s)).toEqual(params);
      }),
      { numRuns: 1000 },
    );
  });

  it('ignores unknown parameters and invalid values: the result is as if they were absent', () => {
    const invalidFor: Record<string, fc.Arbitrary<string>> = {
      size: fc.string({ maxLength: 8 }).filter((v) => !['s', 'm', 'l', 'social'].includes(v.toLowerCase())),
      w: fc.string({ maxLength: 8 }).filter((v) => !/^\d{1,9}$/.test(v.trim()) || Number(v) === 0),
      h: fc.string({ maxLength: 8 }).filter((v) => !/^\d{1,9}$/.test(v.trim()) || Number(v) === 0),
      fit: fc.string({ maxLength: 8 }).filter((v) => !(FITS as readonly string[]).includes(v.toLowerCase())),
      q: fc
        .oneof(fc.string({ maxLength: 5 }), fc.integer({ min: 101, max: 999 }).map(String), fc.constant('0'))
        .filter((v) => v.trim().toLowerCase() !== 'auto')
        .filter((v) => !/^\d{1,3}$/.test(v.trim()) || Number(v) < 1 || Number(v) > 100),
      format: fc
        .string({ maxLength: 8 })
        .filter((v) => !['jpg', 'jpeg', 'png', 'webp', 'avif', 'gif', 'auto'].includes(v.toLowerCase())),
      dpr: fc
        .oneof(fc.string({ maxLength: 5 }), fc.constantFrom('0', '0.5', '4.01', '5', '1.234', '-2'))
        .filter((v) => !/^\d(\.\d{1,2})?$/.test(v.trim()) || Number(v) < 1 || Number(v) > 4),
      gravity: fc
        .string({ maxLength: 10 })
        .filter((v) => !Object.hasOwn(GRAVITY_WORDS, v.trim().toLowerCase())),
      blur: fc
        .oneof(fc.string({ maxLength: 5 }), fc.constantFrom('0', '101', '1.5', '-3', '1e2'))
        .filter((v) => !/^\d{1,3}$/.test(v.trim()) || Number(v) < 1 || Number(v) > 100),
      bg: fc
        .oneof(fc.string({ maxLength: 9 }), fc.constantFrom('ggg', '#12', 'fffff', 'red', '1234567'))
        .filter((v) => !/^#?([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(v.trim())),
    };
    expect(Object.keys(invalidFor).sort()).toEqual([...NAMES].sort());
    const invalidPart = fc
      .constantFrom(...NAMES)
      .chain((name) => (invalidFor[name] as fc.Arbitrary<string>).map((bad) => [name, bad] as const));
    fc.assert(
      fc.property(
        query,
        invalidPart,
        fc.string({ maxLength: 10 }).filter((name) => !NAMES.includes(name)),
        ext,
        source,
        (q, [name, bad], unknown, e, s) => {
          const without = { ...q };
          delete without[name];
          expect(parse({ ...without, [name]: bad }, e, s)).toEqual(parse(without, e, s));
          expect(parse({ ...q, [unknown]: 'anything' }, e, s)).toEqual(parse(q, e, s));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
