import { describe, expect, it } from 'vitest';
import { settings } from './settings.ts';
import { editDistance, unknownSettings } from './unknown-settings.ts';

describe('unknownSettings', () => {
  it('names a mistyped setting and suggests the one meant', () => {
    expect(unknownSettings({ LIGHTBOX_MAX_UPLAOD_MB: '5' })).toEqual([
      {
        name: 'LIGHTBOX_MAX_UPLAOD_MB',
        suggestion: 'LIGHTBOX_MAX_UPLOAD_MB',
        message: 'unknown setting LIGHTBOX_MAX_UPLAOD_MB (did you mean LIGHTBOX_MAX_UPLOAD_MB?)',
      },
    ]);
    expect(
      unknownSettings({ LIGHTBOX_DATADIR: 'x', LIGHTBOX_SMTP_ULR: 'y', LIGHTBOX_PUBLICURL: 'z' }),
    ).toEqual([
      expect.objectContaining({ name: 'LIGHTBOX_DATADIR', suggestion: 'LIGHTBOX_DATA_DIR' }),
      expect.objectContaining({ name: 'LIGHTBOX_PUBLICURL', suggestion: 'LIGHTBOX_PUBLIC_URL' }),
      expect.objectContaining({ name: 'LIGHTBOX_SMTP_ULR', suggestion: 'LIGHTBOX_SMTP_URL' }),
    ]);
  });

  it('suggests PORT, the one setting outside the namespace, for LIGHTBOX_PORT', () => {
    expect(unknownSettings({ LIGHTBOX_PORT: '80' })[0]?.suggestion).toBe('PORT');
  });

  it('suggests nothing when no setting is close', () => {
    expect(unknownSettings({ LIGHTBOX_FAVOURITE_COLOUR: 'blue' })).toEqual([
      { name: 'LIGHTBOX_FAVOURITE_COLOUR', message: 'unknown setting LIGHTBOX_FAVOURITE_COLOUR' },
    ]);
    // Short names allow one edit only: HOT may be HOST, XYZ is nothing.
    expect(unknownSettings({ LIGHTBOX_HOT: '1' })[0]?.suggestion).toBe('LIGHTBOX_HOST');
    expect(unknownSettings({ LIGHTBOX_XYZ: '1' })[0]?.suggestion).toBeUndefined();
  });

  it('knows every setting, ignores other namespaces and the test harness variables', () => {
    const env = Object.fromEntries(Object.values(settings).map((s) => [s.env, 'x']));
    expect(unknownSettings(env)).toEqual([]);
    expect(
      unknownSettings({
        PATH: '/bin',
        LIGHTBOXMAX: '1',
        NODE_ENV: 'production',
        LIGHTBOX_TEST_DATABASE: 'postgres',
        LIGHTBOX_TEST_LOG_LEVEL: 'info',
      }),
    ).toEqual([]);
  });

  it('lists several in name order, and reads process.env by default', () => {
    expect(unknownSettings({ LIGHTBOX_Z_THING: '1', LIGHTBOX_A_THING: '1' }).map((u) => u.name)).toEqual([
      'LIGHTBOX_A_THING',
      'LIGHTBOX_Z_THING',
    ]);
    expect(Array.isArray(unknownSettings())).toBe(true);
  });
});

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['abc', '', 3],
    ['UPLAOD', 'UPLOAD', 1],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3],
  ])('%s → %s: %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});
