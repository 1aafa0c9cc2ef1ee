import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.ts';
import { MAX_METADATA_FIELDS, type MediaFields, parseMediaFields } from './media-fields.ts';

const MODES = ['create', 'update'] as const;
const FIELDS = ['name', 'tags', 'namespace', 'public', 'ttl', 'date', 'metadata', 'description'];

/** Parses, or returns the field errors of the one error it may throw: 422-style `invalid_payload`. */
function outcome(
  raw: Record<string, unknown>,
  mode: 'create' | 'update',
): MediaFields | Record<string, string[]> {
  try {
    return parseMediaFields(raw, { mode });
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('invalid_payload');
    const errors = (error as AppError).details.errors ?? {};
    // Every complaint names a field the caller sent.
    expect(Object.keys(errors).length).toBeGreaterThan(0);
    return errors;
  }
}
const rejected = (raw: Record<string, unknown>, mode: 'create' | 'update') => {
  try {
    parseMediaFields(raw, { mode });
    return false;
  } catch (error) {
    if (error instanceof AppError && error.code === 'invalid_payload') return true;
    throw error;
  }
};

const text = fc.oneof(fc.string({ maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
const anyValue = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(text, { maxLength: 12 }),
  fc.dictionary(text, fc.oneof(text, fc.integer()), { maxKeys: 25 }),
  fc.object({ maxDepth: 2 }),
);

describe('upload field parsers (property-based)', () => {
  it('accept or refuse any input with invalid_payload, never another error', () => {
    const raw = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), text), anyValue, { maxKeys: 10 });
    fc.assert(
      fc.property(raw, fc.constantFrom(...MODES), (fields, mode) => {
        outcome(fields, mode);
      }),
      { numRuns: 1000 },
    );
  });

  it('tags: trimmed, lower case, distinct, non-empty, at most 10 of at most 50 characters, and stable', () => {
    const tags = fc.oneof(fc.array(text, { maxLength: 14 }), text);
    fc.assert(
      fc.property(tags, fc.constantFrom(...MODES), (value, mode) => {
        if (rejected({ tags: value }, mode)) return;
        const out = parseMediaFields({ tags: value }, { mode }).tags as string[];
        expect(out.length).toBeLessThanOrEqual(10);
        expect(new Set(out).size).toBe(out.length);
        for (const tag of out) {
          expect(tag).toBe(tag.trim().toLowerCase());
          expect(tag.length).toBeGreaterThan(0);
          expect(tag.length).toBeLessThanOrEqual(50);
        }
        // The stored form parses to itself, as an array and as the comma-separated multipart field.
        expect(parseMediaFields({ tags: out }, { mode }).tags).toEqual(out);
        if (!out.some((t) => t.includes(',')))
          expect(parseMediaFields({ tags: out.join(',') }, { mode }).tags).toEqual(out);
      }),
      { numRuns: 1000 },
    );
  });

  it('namespace: accepted exactly when it is 2-64 of [a-z0-9-]', () => {
    const namespace = fc.oneof(text, fc.stringMatching(/^[a-z0-9-]{1,70}$/));
    fc.assert(
      fc.property(namespace, (value) => {
        const valid = /^[a-z0-9-]{2,64}$/.test(value);
        if (value === '') return;
        expect(rejected({ namespace: value }, 'create')).toBe(!valid);
        if (valid) expect(parseMediaFields({ namespace: value }, { mode: 'create' }).namespace).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('ttl: seconds or <n>m|h|d, accepted exactly between 5 minutes and 90 days', () => {
    const unit = fc.constantFrom(['', 1], ['m', 60], ['h', 3600], ['d', 86_400]);
    const ttl = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 9_999_999 }), unit).map(([n, [suffix, factor]]) => ({
        raw: `${n}${suffix}` as unknown,
        seconds: n * (factor as number),
      })),
      fc.integer({ min: -10, max: 10_000_000 }).map((n) => ({ raw: n as unknown, seconds: n })),
      text.map((raw) => ({ raw: raw as unknown, seconds: Number.NaN })),
    );
    fc.assert(
      fc.property(ttl, fc.constantFrom(...MODES), ({ raw, seconds }, mode) => {
        const result = outcome({ ttl: raw }, mode);
        const accepted = 'ttl' in result && typeof result.ttl === 'number';
        if (accepted) {
          expect(result.ttl).toBeGreaterThanOrEqual(300);
          expect(result.ttl).toBeLessThanOrEqual(90 * 86_400);
        }
        if (Number.isFinite(seconds)) expect(accepted).toBe(seconds >= 300 && seconds <= 90 * 86_400);
      }),
      { numRuns: 1000 },
    );
  });

  it('metadata: accepted maps have at most 20 keys of ^[a-z0-9_]{1,40}$ with string values of at most 500', () => {
    const key = fc.oneof(fc.stringMatching(/^[a-z0-9_]{1,40}$/), text);
    const metadata = fc.dictionary(
      key,
      fc.oneof(fc.string({ maxLength: 520 }), fc.integer(), fc.constant(null)),
      {
        maxKeys: 24,
      },
    );
    fc.assert(
      fc.property(
        metadata,
        fc.constantFrom(...MODES),
        fc.option(text, { nil: undefined }),
        (value, mode, description) => {
          const raw = { metadata: value, ...(description === undefined ? {} : { description }) };
          if (rejected(raw, mode)) return;
          const out = parseMediaFields(raw, { mode }).metadata ?? {};
          const entries = Object.entries(out);
          expect(entries.length).toBeLessThanOrEqual(MAX_METADATA_FIELDS);
          for (const [k, v] of entries) {
            expect(k).toMatch(/^[a-z0-9_]{1,40}$/);
            expect(typeof v).toBe('string');
            expect(v.length).toBeLessThanOrEqual(500);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
