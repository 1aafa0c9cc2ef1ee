import { describe, expect, it } from 'vitest';
import { declaredMimeType, sniffImageType } from './sniff.ts';
import { GIF_BYTES, JPEG_BYTES, PNG_BYTES, WEBP_BYTES } from './test-support.ts';

describe('sniffImageType', () => {
  it.each([
    [JPEG_BYTES, 'image/jpeg'],
    [PNG_BYTES, 'image/png'],
    [WEBP_BYTES, 'image/webp'],
    [GIF_BYTES, 'image/gif'],
    [Buffer.from('<html><body>'), undefined],
    [Buffer.from('RIFF\0\0\0\0WAVEfmt '), undefined],
    [Buffer.from([0xff, 0xd8]), undefined],
    [Buffer.alloc(0), undefined],
  ])('%#: recognises %s', (bytes, type) => {
    expect(sniffImageType(bytes)).toBe(type);
  });
});

describe('declaredMimeType', () => {
  it.each([
    ['image/png', 'image/png'],
    ['Image/PNG; charset=binary', 'image/png'],
    ['image/jpg', 'image/jpeg'],
    ['image/pjpeg', 'image/jpeg'],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (header, type) => {
    expect(declaredMimeType(header)).toBe(type);
  });
});
