import { describe, expect, it } from 'vitest';
import { BASE62 } from '../lib/ids.ts';
import { hashApiKey, keyHint, mintApiKey, parseApiKey } from './api-key-format.ts';

const SAMPLE = mintApiKey('img', 'live');

describe('mintApiKey / parseApiKey', () => {
  it('mints <prefix>_<env>_<36 base62> keys that parse back to their environment', () => {
    const live = mintApiKey('img', 'live');
    const test = mintApiKey('img', 'test');
    expect(live).toMatch(/^img_live_[0-9A-Za-z]{36}$/);
    expect(test).toMatch(/^img_test_[0-9A-Za-z]{36}$/);
    expect(parseApiKey('img', live)).toEqual({ environment: 'live' });
    expect(parseApiKey('img', test)).toEqual({ environment: 'test' });
  });

  it('honours a configured prefix, and only that prefix', () => {
    const key = mintApiKey('lbx', 'test');
    expect(key.startsWith('lbx_test_')).toBe(true);
    expect(parseApiKey('lbx', key)).toEqual({ environment: 'test' });
    expect(parseApiKey('img', key)).toBeNull();
    expect(parseApiKey('lbx', SAMPLE)).toBeNull();
  });

  it('keys are random: no repeats, and every base62 character shows up in the secret', () => {
    const keys = Array.from({ length: 2000 }, () => mintApiKey('img', 'live'));
    expect(new Set(keys).size).toBe(keys.length);
    const secretChars = new Set(keys.flatMap((k) => [...k.slice('img_live_'.length, -6)]));
    expect(secretChars.size).toBe(62);
    // ≥ 160 bits: at least 27 random base62 characters before the checksum.
    expect(((SAMPLE.length - 'img_live_'.length - 6) * Math.log2(62)) | 0).toBeGreaterThanOrEqual(160);
  });

  it('the checksum catches every single-character change of a sample key', () => {
    const alphabet = `${BASE62}_-.`;
    let changes = 0;
    for (let i = 0; i < SAMPLE.length; i++) {
      for (const c of alphabet) {
        if (c === SAMPLE[i]) continue;
        const changed = `${SAMPLE.slice(0, i)}${c}${SAMPLE.slice(i + 1)}`;
        expect(parseApiKey('img', changed), changed).toBeNull();
        changes++;
      }
    }
    expect(changes).toBe(SAMPLE.length * (alphabet.length - 1));
  });

  it('the checksum catches every swap of two adjacent characters', () => {
    for (let i = 'img_live_'.length; i < SAMPLE.length - 1; i++) {
      if (SAMPLE[i] === SAMPLE[i + 1]) continue;
      const swapped = `${SAMPLE.slice(0, i)}${SAMPLE[i + 1]}${SAMPLE[i]}${SAMPLE.slice(i + 2)}`;
      expect(parseApiKey('img', swapped), swapped).toBeNull();
    }
  });

  it.each([
    ['empty', ''],
    ['prefix only', 'img_live_'],
    ['one character short', SAMPLE.slice(0, -1)],
    ['one character long', `${SAMPLE}a`],
    ['surrounding space', ` ${SAMPLE} `],
    ['upper-case environment', SAMPLE.replace('_live_', '_LIVE_')],
    ['unknown environment', SAMPLE.replace('_live_', '_prod_')],
    ['environment relabelled live → test', SAMPLE.replace('_live_', '_test_')],
    ['non-base62 secret', `${SAMPLE.slice(0, 12)}+${SAMPLE.slice(13)}`],
  ])('refuses %s', (_name, key) => {
    expect(parseApiKey('img', key)).toBeNull();
  });
});

describe('hashApiKey', () => {
  it('is the lowercase hex SHA-256 of the key', () => {
    // FIPS 180-2 test vector.
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey(SAMPLE)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(SAMPLE)).toBe(hashApiKey(`${SAMPLE}`));
    expect(hashApiKey(SAMPLE)).not.toBe(hashApiKey(mintApiKey('img', 'live')));
  });
});

describe('keyHint', () => {
  it('shows the prefix, environment and 4 characters, never the secret', () => {
    const hint = keyHint(SAMPLE);
    expect(hint).toBe(`${SAMPLE.slice(0, 'img_live_'.length + 4)}…`);
    expect(hint.length).toBeLessThan(SAMPLE.length / 2);
  });
});
