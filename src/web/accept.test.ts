import { describe, expect, it } from 'vitest';
import { prefersHtml } from './accept.ts';

describe('prefersHtml', () => {
  it.each([
    ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', true],
    ['text/html', true],
    ['text/*,application/json;q=0.5', true],
    ['application/json, text/html;q=0.9', false],
    ['*/*', false],
    ['application/json', false],
    ['text/html;q=0.5,application/json;q=0.5', false],
    ['image/avif,image/webp,*/*;q=0.8', false],
    ['text/html;q=0', false],
    ['', false],
  ])('%s → %s', (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });

  it('no header: JSON', () => {
    expect(prefersHtml(undefined)).toBe(false);
  });
});
