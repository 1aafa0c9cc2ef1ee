import { describe, expect, it } from 'vitest';
import { parseRenditionParams, RENDITION_QUERY_NAMES, renditionKey } from '../imaging/index.ts';
import { builderForm, builderValues, RENDITION_BUILDER_FIELDS } from './rendition-builder.ts';

describe('the rendition builder', () => {
  it('offers only parameters of the delivery registry, each once', () => {
    const names = RENDITION_BUILDER_FIELDS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(RENDITION_QUERY_NAMES, name).toContain(name);
  });

  it('every value a select offers is one delivery understands: distinct choices, distinct renditions', () => {
    for (const field of RENDITION_BUILDER_FIELDS) {
      if (field.control.kind !== 'select') continue;
      const values = field.control.options.map(([value]) => value).filter((value) => value !== '');
      // A box for `fit` (and a cover box for `gravity`), so each has something to act on; a JPEG source, so every
      // output format is a change.
      const keys = values.map((value) =>
        renditionKey(
          parseRenditionParams({
            ext: 'jpg',
            query:
              field.name === 'fit'
                ? { w: '100', h: '50', fit: value }
                : field.name === 'gravity'
                  ? { w: '100', h: '50', fit: 'cover', gravity: value }
                  : { [field.name]: value },
            source: 'jpeg',
          }),
        ),
      );
      expect(new Set(keys).size, `${field.name}: ${keys.join(', ')}`).toBe(values.length);
    }
  });

  it('reads its own fields from a query, bounded, and renders them back into the form', () => {
    const values = builderValues({ w: ' 300 ', fit: 'cover', evil: 'x', h: 'y'.repeat(65), q: ['1', '2'] });
    expect(values).toEqual({ w: '300', fit: 'cover' });
    const form = builderForm('/media/abc', values).value;
    expect(form).toContain('name="w" type="number"');
    expect(form).toContain('value="300"');
    expect(form).toContain('<option value="cover" selected>');
    expect(form).toContain('action="/media/abc#builder-heading"');
  });
});
