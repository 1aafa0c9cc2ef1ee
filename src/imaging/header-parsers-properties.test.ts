import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectFormat } from './detect-format.ts';
import { isLosslessWebp, jpegFrame, readRasterDimensions } from './header-dimensions.ts';
import { readHeifHeader } from './heif-header.ts';
import { IMAGE_FORMATS } from './image-format.ts';
import { withByteSource } from './image-source.ts';
import { animated, encoded, rebrandedHeic } from './testing/fixtures.ts';

/** Far above what any of these parsers needs (microseconds): only a loop that never ends would reach it. */
const BOUND_MS = 1_000;

/** Runs `fn` and insists it ends in bounded time; header parsers must never throw on hostile bytes. */
async function bounded<T>(fn: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const result = await fn();
  expect(performance.now() - started).toBeLessThan(BOUND_MS);
  return result;
}

const validDimensions = (d: { width: number; height: number } | null | 'need-more') => {
  if (d === null || d === 'need-more') return;
  expect(Number.isInteger(d.width) && d.width > 0).toBe(true);
  expect(Number.isInteger(d.height) && d.height > 0).toBe(true);
};

let seeds: { name: string; bytes: Buffer }[] = [];

/** A real file with some bytes overwritten, some inserted or removed, or cut short. */
const mutated = (only?: readonly string[]) =>
  fc
    .record({
      seed: fc.nat(),
      edits: fc.array(
        fc.record({
          at: fc.nat(),
          kind: fc.constantFrom('set', 'insert', 'delete'),
          byte: fc.integer({ min: 0, max: 255 }),
          length: fc.integer({ min: 1, max: 16 }),
        }),
        { minLength: 1, maxLength: 8 },
      ),
      cut: fc.option(fc.nat(), { nil: undefined }),
      // Header fields are where parsers go wrong: most edits land in the first few hundred bytes.
      near: fc.boolean(),
    })
    .map(({ seed, edits, cut, near }) => {
      const from = only ? seeds.filter((s) => only.includes(s.name)) : seeds;
      const source = from[seed % from.length] as { name: string; bytes: Buffer };
      let bytes = Buffer.from(source.bytes);
      for (const edit of edits) {
        const span = near ? Math.min(bytes.length, 400) : bytes.length;
        const at = span === 0 ? 0 : edit.at % span;
        if (edit.kind === 'set') bytes[at] = edit.byte;
        else if (edit.kind === 'insert')
          bytes = Buffer.concat([
            bytes.subarray(0, at),
            Buffer.alloc(edit.length, edit.byte),
            bytes.subarray(at),
          ]);
        else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + edit.length)]);
      }
      return {
        name: source.name,
        bytes: cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1)),
      };
    });

const randomBytes = fc.uint8Array({ maxLength: 600 }).map((a) => ({ name: 'random', bytes: Buffer.from(a) }));
/** Random bytes behind a valid signature, so the parsers get past their first check. */
const behindSignature = fc
  .tuple(
    fc.constantFrom(
      Buffer.from([0xff, 0xd8, 0xff]),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),
      Buffer.from('GIF89a'),
      Buffer.from('RIFF\0\0\0\0WEBPVP8X'),
      Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'),
      Buffer.from('\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf', 'latin1'),
      Buffer.from('BM'),
      Buffer.from([0, 0, 1, 0, 1, 0]),
    ),
    fc.uint8Array({ maxLength: 400 }),
  )
  .map(([signature, rest]) => ({ name: 'signature', bytes: Buffer.concat([signature, rest]) }));
const hostile = () => fc.oneof(mutated(), randomBytes, behindSignature);

describe('image header parsers on random and mutated bytes (property-based)', () => {
  beforeAll(async () => {
    seeds = [
      { name: 'jpeg', bytes: await encoded('jpeg', 24, 16) },
      { name: 'png', bytes: await encoded('png', 24, 16, 4) },
      { name: 'webp', bytes: await encoded('webp', 24, 16) },
      { name: 'gif', bytes: await animated('gif', 2, 24, 16) },
      { name: 'webp-animated', bytes: await animated('webp', 2, 24, 16) },
      { name: 'avif', bytes: await encoded('avif', 24, 16) },
      { name: 'heic', bytes: await rebrandedHeic() },
    ];
  });

  it('format sniffing never throws and names a known format or none', async () => {
    await fc.assert(
      fc.asyncProperty(hostile(), async ({ bytes }) => {
        const format = await bounded(() => detectFormat(bytes));
        expect(format === null || (IMAGE_FORMATS as readonly string[]).includes(format)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('dimension readers never throw and report positive integers or nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostile(),
        fc.constantFrom('jpeg', 'png', 'gif', 'webp') as fc.Arbitrary<'jpeg' | 'png' | 'gif' | 'webp'>,
        async ({ bytes }, format) => {
          validDimensions(
            await bounded(() => withByteSource(bytes, (source) => readRasterDimensions(format, source))),
          );
          const frame = await bounded(() => jpegFrame(bytes));
          validDimensions(frame);
          if (frame !== null && frame !== 'need-more') expect(frame.components).toBeGreaterThanOrEqual(0);
          expect(typeof (await bounded(() => isLosslessWebp(bytes)))).toBe('boolean');
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('the HEIF box reader never throws, and what it reports is well-formed', async () => {
    const heif = fc.oneof(mutated(['avif', 'heic']), behindSignature, randomBytes);
    let read = 0;
    await fc.assert(
      fc.asyncProperty(heif, async ({ bytes }) => {
        const header = await bounded(() => withByteSource(bytes, (source) => readHeifHeader(source)));
        if (header === null) return;
        read++;
        expect(Number.isInteger(header.width) && header.width >= 0).toBe(true);
        expect(Number.isInteger(header.height) && header.height >= 0).toBe(true);
        expect(typeof header.hasAlpha).toBe('boolean');
        expect(typeof header.itemType).toBe('string');
      }),
      { numRuns: 1500 },
    );
    // Not vacuous: some damaged files still have a readable `meta` box (most edits land in it and break it).
    expect(read).toBeGreaterThan(10);
  });

  it('a box claiming a huge or endless size is not followed into memory or forever', async () => {
    // A `meta` box that says it is 4 GiB, and 10 000 tiny boxes before anything useful.
    const huge = Buffer.concat([
      Buffer.from('\0\0\0\x10ftypheic\0\0\0\0', 'latin1'),
      Buffer.from('\xff\xff\xff\xffmeta', 'latin1'),
    ]);
    const many = Buffer.concat([
      Buffer.from('\0\0\0\x10ftypheic\0\0\0\0', 'latin1'),
      ...Array.from({ length: 20_000 }, () => Buffer.from('\0\0\0\x08free', 'latin1')),
    ]);
    for (const bytes of [huge, many]) {
      expect(await bounded(() => withByteSource(bytes, (source) => readHeifHeader(source)))).toBeNull();
    }
  });
});
