import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectFormat, detectSourceFormat } from './detect-format.ts';
import {
  animated,
  bmp,
  cleanSvg,
  encoded,
  ico,
  makeTempDir,
  rebrandedHeic,
  type TempDir,
} from './testing/fixtures.ts';

let dir: TempDir;
beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(() => dir.remove());

const opaque = (): [number, number, number, number] => [10, 20, 30, 255];

describe('detectFormat', () => {
  it('recognises every accepted format from its bytes', async () => {
    const samples: Array<[string, Buffer]> = [
      ['jpeg', await encoded('jpeg', 8, 8)],
      ['png', await encoded('png', 8, 8)],
      ['gif', await animated('gif', 2, 8, 8)],
      ['webp', await encoded('webp', 8, 8)],
      ['avif', await encoded('avif', 8, 8)],
      ['heic', await rebrandedHeic()],
      ['svg', Buffer.from(cleanSvg())],
      ['bmp', bmp(4, 4, { bitsPerPixel: 24, pixel: opaque })],
      ['ico', ico([{ width: 16, height: 16 }])],
    ];
    for (const [format, bytes] of samples) expect(detectFormat(bytes), format).toBe(format);
  });

  it('finds SVG behind a BOM, XML declaration, comments and a DOCTYPE', () => {
    const svg = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n${cleanSvg()}`;
    expect(detectFormat(Buffer.from(svg))).toBe('svg');
    expect(detectFormat(Buffer.from('<svg:svg xmlns:svg="http://www.w3.org/2000/svg"/>'))).toBe('svg');
  });

  it('refuses text, HTML with inline SVG, other ISO-BMFF files and truncated signatures', () => {
    expect(detectFormat(Buffer.from('hello, I am not a picture'))).toBeNull();
    expect(detectFormat(Buffer.from('<html><body><svg></svg></body></html>'))).toBeNull();
    expect(detectFormat(Buffer.from('<svgfoo/>'))).toBeNull();
    const mp4 = Buffer.alloc(32);
    mp4.writeUInt32BE(24, 0);
    mp4.write('ftypisom\0\0\0\0isomiso2', 4, 'latin1');
    expect(detectFormat(mp4)).toBeNull();
    expect(detectFormat(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(detectFormat(Buffer.from([0, 0, 1, 0, 0, 0]))).toBeNull(); // ICO magic with no images
    expect(detectFormat(Buffer.alloc(0))).toBeNull();
  });

  it('tells AVIF from HEIC by the ftyp brands', () => {
    const ftyp = (major: string, ...compatible: string[]): Buffer => {
      const box = Buffer.alloc(16 + 4 * compatible.length);
      box.writeUInt32BE(box.length, 0);
      box.write(`ftyp${major}\0\0\0\0${compatible.join('')}`, 4, 'latin1');
      return box;
    };
    expect(detectFormat(ftyp('avif', 'mif1', 'miaf'))).toBe('avif');
    expect(detectFormat(ftyp('mif1', 'avif', 'miaf'))).toBe('avif');
    expect(detectFormat(ftyp('heic', 'mif1', 'heic'))).toBe('heic');
    expect(detectFormat(ftyp('mif1', 'heic'))).toBe('heic');
    expect(detectFormat(ftyp('msf1', 'hevc'))).toBe('heic');
    expect(detectFormat(ftyp('qt  ', 'qt  '))).toBeNull();
  });

  it('never trusts the file name: a text file called photo.jpg is unsupported', async () => {
    const lie = await dir.write('photo.jpg', 'GIF? JPEG? No: plain text.');
    const pdf = await dir.write('scan.png', '%PDF-1.7\n%âãÏÓ\n1 0 obj\n');
    expect(await detectSourceFormat(lie)).toBeNull();
    expect(await detectSourceFormat(pdf)).toBeNull();
    const realPng = await dir.write('really-a-png.gif', await encoded('png', 4, 4));
    expect(await detectSourceFormat(realPng)).toBe('png');
  });
});
