import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestedDeeperThan } from './json-body.ts';

describe('nestedDeeperThan', () => {
  it.each([
    ['', 0, false],
    ['1', 0, false],
    ['[]', 0, true],
    ['[]', 1, false],
    ['[[]]', 1, true],
    ['{"a":{"b":[1,2,{"c":3}]}}', 4, false],
    ['{"a":{"b":[1,2,{"c":3}]}}', 3, true],
    ['[1],[2],[3]', 1, false],
  ])('%s with max %i → %s', (text, max, expected) => {
    expect(nestedDeeperThan(text, max)).toBe(expected);
  });

  it('brackets inside strings do not count, escaped quotes and backslashes included', () => {
    expect(nestedDeeperThan('["[[[[{{{{"]', 1)).toBe(false);
    expect(nestedDeeperThan('["\\"[[[["]', 1)).toBe(false);
    expect(nestedDeeperThan('["\\\\", [[1]]]', 2)).toBe(true);
    expect(nestedDeeperThan('["\\\\"]', 1)).toBe(false);
    expect(nestedDeeperThan('{"k\\"[": "v"}', 1)).toBe(false);
  });

  it('closing brackets bring the depth back down: many shallow siblings are fine', () => {
    expect(nestedDeeperThan(`[${'[[1]],'.repeat(10_000)}0]`, 3)).toBe(false);
  });

  it(`${MAX_JSON_DEPTH} levels pass, one more does not`, () => {
    const at = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    expect(nestedDeeperThan(at(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestedDeeperThan(at(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('a megabyte of brackets is refused at the first level over the bound, in linear time', () => {
    const text = '['.repeat(1024 * 1024);
    const started = performance.now();
    expect(nestedDeeperThan(text, MAX_JSON_DEPTH)).toBe(true);
    const wellFormedDeepString = `"${'['.repeat(1024 * 1024)}"`;
    expect(nestedDeeperThan(wellFormedDeepString, MAX_JSON_DEPTH)).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
