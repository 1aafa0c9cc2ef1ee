// Issue 18 through HTTP: format=auto (Accept, Vary, one cache entry per chosen format, 304s), the transforms dpr,
// gravity, blur, bg and q=auto (output, cache keys, invalid values ignored), PNG outputs that never grow, the social
// card's format and the media object's srcset.
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { eventually } from './support/eventually.ts';
import * as images from './support/images.ts';
import { blobsUnder, type Keyed, keyedAccount, type MediaBody, uploaded } from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let owner: Keyed;

beforeAll(async () => {
  // Many distinct renditions from one client: the per-client miss rate and per-image cap are not under test here.
  server = await startTestServer({
    LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE: '100000',
    LIGHTBOX_RENDITIONS_PER_MEDIA: '1000',
  });
  owner = await keyedAccount(server, { verified: true });
});

afterAll(async () => {
  await server?.close();
});

interface RawResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function fetchRaw(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

async function image(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetchRaw(url, headers);
  expect(response.status, `${url}: ${response.body.toString('utf8', 0, 200)}`).toBe(200);
  expect(response.headers.get('x-rendition-substitute'), url).toBeNull();
  return response;
}

const etagOf = async (url: string, headers: Record<string, string> = {}) =>
  (await image(url, headers)).headers.get('etag');

const variant = (media: MediaBody, ext: string, query = ''): string =>
  `${media.src.replace(/\.[a-z]+$/, `.${ext}`)}${query ? `?${query}` : ''}`;

const upload = (file: Buffer) => uploaded(server, file, { key: owner.key });

const dimensions = async (bytes: Buffer) => {
  const meta = await sharp(bytes).metadata();
  return { width: meta.width, height: meta.pageHeight ?? meta.height };
};

/** The RGBA of one pixel of an encoded image. */
async function pixel(bytes: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * 4;
  return [...data.subarray(at, at + 4)];
}

const near = (actual: number[], expected: number[], tolerance = 12) =>
  actual.every((value, i) => Math.abs(value - (expected[i] ?? 0)) <= tolerance);

// What browsers send for <img> requests.
const CHROME = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const WEBP_ONLY = 'image/webp,*/*';
const LEGACY = 'image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5';

describe('format=auto', () => {
  let photo: MediaBody;
  let logo: MediaBody;
  beforeAll(async () => {
    [photo, logo] = await Promise.all([
      upload(await images.jpeg(600, 400)),
      upload(await images.png(300, 200)),
    ]);
  });

  it.each([
    [CHROME, 'image/avif', 'image/avif'],
    [WEBP_ONLY, 'image/webp', 'image/webp'],
    ['image/avif;q=0,image/webp', 'image/webp', 'image/webp'],
    [LEGACY, 'image/jpeg', 'image/png'],
    ['', 'image/jpeg', 'image/png'],
  ])('Accept %j → %s for a JPEG, %s for a PNG, with Vary: Accept', async (accept, forPhoto, forLogo) => {
    for (const [media, type] of [
      [photo, forPhoto],
      [logo, forLogo],
    ] as const) {
      const headers = accept ? { accept } : ({} as Record<string, string>);
      for (const url of [variant(media, 'auto', 'size=s'), variant(media, 'jpg', 'size=s&format=auto')]) {
        const response = await image(url, headers);
        expect(response.headers.get('content-type'), url).toBe(type);
        expect(response.headers.get('vary'), url).toBe('Accept');
        expect((await sharp(response.body).metadata()).format).toBe(
          { 'image/avif': 'heif', 'image/webp': 'webp', 'image/jpeg': 'jpeg', 'image/png': 'png' }[type],
        );
      }
    }
  });

  it('an explicit format never varies; `.auto` with format=webp is WebP', async () => {
    const explicit = await image(variant(photo, 'webp', 'size=s'), { accept: CHROME });
    expect(explicit.headers.get('vary')).toBeNull();
    const named = await image(variant(photo, 'auto', 'size=s&format=webp'), { accept: CHROME });
    expect(named.headers.get('content-type')).toBe('image/webp');
    expect(named.headers.get('vary')).toBeNull();
  });

  it('one cache entry per chosen format, shared with the explicit format; a 304 per variant', async () => {
    const media = await upload(await images.jpeg(500, 300));
    const url = variant(media, 'auto', 'w=200');
    const avif = await image(url, { accept: CHROME });
    const webp = await image(url, { accept: WEBP_ONLY });
    const jpeg = await image(url, { accept: LEGACY });
    const etags = [avif, webp, jpeg].map((r) => r.headers.get('etag'));
    expect(new Set(etags).size).toBe(3);
    // The negotiated AVIF is the AVIF rendition: same key, same ETag, same bytes.
    const direct = await image(variant(media, 'avif', 'w=200'));
    expect(direct.headers.get('etag')).toBe(etags[0]);
    expect(direct.body.equals(avif.body)).toBe(true);
    const files = await eventually(
      () => blobsUnder(server, `renditions/${media.id}`),
      (found) => found.length >= 3,
    );
    expect(files.sort()).toEqual([
      'w200-h0-scale-down.avif',
      'w200-h0-scale-down.jpeg',
      'w200-h0-scale-down.webp',
    ]);

    const revalidated = await fetchRaw(url, { accept: CHROME, 'if-none-match': etags[0] ?? '' });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
    expect(revalidated.headers.get('vary')).toBe('Accept');
    expect(revalidated.headers.get('etag')).toBe(etags[0]);
    // The AVIF's ETag does not validate the WebP a WebP-only browser gets.
    const other = await fetchRaw(url, { accept: WEBP_ONLY, 'if-none-match': etags[0] ?? '' });
    expect(other.status).toBe(200);
    expect(other.headers.get('content-type')).toBe('image/webp');
    expect(other.headers.get('etag')).toBe(etags[1]);
  });

  it('AVIF only where the cost budget allows it: a large output or an animation gets WebP', async () => {
    // 3000 × 2000 of AVIF is estimated above the negotiated-AVIF budget (rendition-cost.ts).
    const large = await image(variant(photo, 'auto', 'w=3000&fit=contain'), { accept: CHROME });
    expect(large.headers.get('content-type')).toBe('image/webp');
    expect(large.headers.get('vary')).toBe('Accept');
    expect(await dimensions(large.body)).toEqual({ width: 3000, height: 2000 });
    const small = await image(variant(photo, 'auto', 'w=300'), { accept: CHROME });
    expect(small.headers.get('content-type')).toBe('image/avif');

    const gif = await upload(await images.animated('gif', 3, 40, 30));
    const animated = await image(variant(gif, 'auto'), { accept: CHROME });
    expect(animated.headers.get('content-type')).toBe('image/webp');
    expect((await sharp(animated.body, { animated: true }).metadata()).pages).toBe(3);
    const legacy = await image(variant(gif, 'auto'), { accept: LEGACY });
    expect(legacy.headers.get('content-type')).toBe('image/gif');
  });

  it('the unparameterised `.auto` is the original where the browser takes nothing better', async () => {
    const original = await image(photo.src);
    const auto = await image(variant(photo, 'auto'), { accept: LEGACY });
    expect(auto.headers.get('etag')).toBe(original.headers.get('etag'));
    expect(auto.body.equals(original.body)).toBe(true);
    const svg = await upload(images.svg());
    const vector = await image(variant(svg, 'auto'), { accept: CHROME });
    expect(vector.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(vector.headers.get('vary')).toBe('Accept');
  });
});

describe('transforms', () => {
  let wide: MediaBody; // 800 × 400
  /** 100 × 300: red on top, green in the middle, blue at the bottom. */
  let stripes: MediaBody;
  beforeAll(async () => {
    const bands = await sharp({ create: { width: 100, height: 300, channels: 3, background: '#0000ff' } })
      .composite([
        {
          input: { create: { width: 100, height: 100, channels: 3, background: '#ff0000' } },
          top: 0,
          left: 0,
        },
        {
          input: { create: { width: 100, height: 100, channels: 3, background: '#00ff00' } },
          top: 100,
          left: 0,
        },
      ])
      .png()
      .toBuffer();
    [wide, stripes] = await Promise.all([upload(await images.jpeg(800, 400)), upload(bands)]);
  });

  it('dpr multiplies w and h, is the same rendition as the product, and is clamped', async () => {
    const doubled = await image(`${wide.src}?w=150&h=100&fit=cover&dpr=2`);
    expect(await dimensions(doubled.body)).toEqual({ width: 300, height: 200 });
    expect(doubled.headers.get('etag')).toBe(await etagOf(`${wide.src}?w=300&h=200&fit=cover`));
    const fractional = await image(`${wide.src}?w=100&dpr=1.5`);
    expect(await dimensions(fractional.body)).toEqual({ width: 150, height: 75 });
    // 5000 × 4 is clamped to 8192 like any requested side (scale-down never enlarges this 800 px image).
    expect(await etagOf(`${wide.src}?w=5000&dpr=4`)).toBe(await etagOf(`${wide.src}?w=8192`));
  });

  it.each(['0', '0.5', '5', '4.001', 'abc', '2x', '-2', ''])('dpr=%j is ignored', async (value) => {
    expect(await etagOf(`${wide.src}?w=100&dpr=${value}`)).toBe(await etagOf(`${wide.src}?w=100`));
  });

  it('dpr without w or h changes nothing', async () => {
    expect(await etagOf(`${wide.src}?size=s&dpr=2`)).toBe(await etagOf(`${wide.src}?size=s`));
  });

  it.each([
    ['north', [255, 0, 0]],
    ['top', [255, 0, 0]],
    ['south', [0, 0, 255]],
    ['bottom', [0, 0, 255]],
    ['centre', [0, 255, 0]],
  ])('gravity=%s keeps that part of a cover crop', async (gravity, colour) => {
    const cropped = await image(variant(stripes, 'png', `w=100&h=100&fit=cover&gravity=${gravity}`));
    expect(await dimensions(cropped.body)).toEqual({ width: 100, height: 100 });
    for (const [x, y] of [
      [5, 5],
      [50, 50],
      [95, 95],
    ] as const) {
      expect(near(await pixel(cropped.body, x, y), [...colour, 255]), `${gravity} at ${x},${y}`).toBe(true);
    }
  });

  it('gravity canonical forms share a cache entry; other fits and invalid values ignore it', async () => {
    const url = (query: string) => variant(stripes, 'png', `w=100&h=100&${query}`);
    expect(await etagOf(url('fit=cover&gravity=top'))).toBe(await etagOf(url('fit=crop&gravity=north')));
    expect(await etagOf(url('fit=cover&gravity=auto'))).toBe(await etagOf(url('fit=crop')));
    expect(await etagOf(url('fit=crop&gravity=centre'))).toBe(await etagOf(url('fit=cover')));
    expect(await etagOf(url('fit=cover&gravity=north'))).not.toBe(await etagOf(url('fit=cover')));
    expect(await etagOf(url('fit=pad&gravity=north'))).toBe(await etagOf(url('fit=pad')));
    expect(await etagOf(url('fit=cover&gravity=sideways'))).toBe(await etagOf(url('fit=cover')));
    const entropy = await image(url('fit=cover&gravity=entropy'));
    expect(await dimensions(entropy.body)).toEqual({ width: 100, height: 100 });
  });

  it('gravity applies to rasterized SVG crops too', async () => {
    const svg = await upload(
      images.svg(
        '<rect width="100" height="100" fill="#f00"/><rect y="100" width="100" height="200" fill="#00f"/>',
        'width="100" height="300"',
      ),
    );
    const top = await image(variant(svg, 'png', 'w=50&h=50&fit=cover&gravity=north'));
    const bottom = await image(variant(svg, 'png', 'w=50&h=50&fit=cover&gravity=south'));
    expect(near(await pixel(top.body, 25, 25), [255, 0, 0, 255])).toBe(true);
    expect(near(await pixel(bottom.body, 25, 25), [0, 0, 255, 255])).toBe(true);
  });

  it('blur softens the image at the same size, and has its own cache entry', async () => {
    const sharpBands = await image(variant(stripes, 'png', 'w=100'));
    const blurred = await image(variant(stripes, 'png', 'w=100&blur=20'));
    expect(await dimensions(blurred.body)).toEqual({ width: 100, height: 300 });
    expect(blurred.headers.get('etag')).not.toBe(sharpBands.headers.get('etag'));
    // At the red/green edge the blur mixes both colours; unblurred it is pure red.
    const [edgeSharp, edgeBlurred] = await Promise.all([
      pixel(sharpBands.body, 50, 98),
      pixel(blurred.body, 50, 98),
    ]);
    expect(near(edgeSharp, [255, 0, 0, 255])).toBe(true);
    expect(edgeBlurred[1]).toBeGreaterThan(60);
    expect(edgeBlurred[0]).toBeLessThan(230);
  });

  it.each(['0', '101', '2.5', '-3', 'x', '1e2'])('blur=%j is ignored', async (value) => {
    expect(await etagOf(`${wide.src}?w=120&blur=${value}`)).toBe(await etagOf(`${wide.src}?w=120`));
  });

  it('bg colours the padding, in every spelling, and is ignored when nothing is padded', async () => {
    const url = (query: string) => `${wide.src}?w=200&h=200&fit=pad&${query}`;
    const red = await image(url('bg=ff0000'));
    expect(near(await pixel(red.body, 2, 2), [255, 0, 0, 255], 30)).toBe(true);
    for (const spelling of ['bg=F00', 'bg=%23ff0000', 'bg=ff0000ff', 'bg=f00f']) {
      expect(await etagOf(url(spelling)), spelling).toBe(red.headers.get('etag'));
    }
    expect(await etagOf(`${wide.src}?w=200&bg=ff0000`)).toBe(await etagOf(`${wide.src}?w=200`));
    for (const invalid of ['bg=red', 'bg=ff0000f', 'bg=12345', 'bg=gg0000']) {
      expect(await etagOf(url(invalid)), invalid).toBe(await etagOf(url('')));
    }
    const social = await image(variant(wide, 'jpg', 'size=social&bg=000000'));
    expect(near(await pixel(social.body, 2, 2), [0, 0, 0, 255], 30)).toBe(true);
  });

  it('bg with alpha pads transparently where the format keeps alpha', async () => {
    const logo = await upload(
      await sharp({ create: { width: 80, height: 40, channels: 4, background: '#3366ccff' } })
        .png()
        .toBuffer(),
    );
    const padded = await image(variant(logo, 'png', 'w=80&h=80&fit=pad&bg=00ff0080'));
    expect(near(await pixel(padded.body, 1, 1), [0, 255, 0, 128], 2)).toBe(true);
    const flattened = await image(variant(logo, 'jpg', 'w=80&h=80&fit=pad&bg=00ff0080'));
    expect(near(await pixel(flattened.body, 1, 1), [0, 255, 0, 255], 30)).toBe(true);
  });

  it('q=auto is its own cached rendition, a valid image, and ignored for lossless formats', async () => {
    const photo = await upload(await images.jpeg(640, 480));
    const auto = await image(`${photo.src}?w=320&q=auto`);
    expect(auto.headers.get('content-type')).toBe('image/jpeg');
    expect(await dimensions(auto.body)).toEqual({ width: 320, height: 240 });
    expect(auto.headers.get('etag')).not.toBe(await etagOf(`${photo.src}?w=320`));
    const again = await image(`${photo.src}?w=320&q=auto`);
    expect(again.body.equals(auto.body)).toBe(true);
    expect(await etagOf(variant(photo, 'png', 'w=320&q=auto'))).toBe(
      await etagOf(variant(photo, 'png', 'w=320')),
    );
  });
});

describe('PNG outputs never grow', () => {
  /** Chunk types of a PNG, in order. */
  function chunks(png: Buffer): string[] {
    const types: string[] = [];
    for (let at = 8; at + 8 <= png.length; at += 12 + png.readUInt32BE(at)) {
      types.push(png.toString('latin1', at + 4, at + 8));
    }
    return types;
  }

  /** The PNG with a tEXt chunk after its IHDR. */
  function withTextChunk(png: Buffer, text: string): Buffer {
    const body = Buffer.concat([Buffer.from('tEXt', 'latin1'), Buffer.from(text, 'latin1')]);
    const chunk = Buffer.alloc(body.length + 8);
    chunk.writeUInt32BE(body.length - 4, 0);
    body.copy(chunk, 4);
    chunk.writeUInt32BE(crc32(body), body.length + 4);
    const afterHeader = 8 + 12 + png.readUInt32BE(8);
    return Buffer.concat([png.subarray(0, afterHeader), chunk, png.subarray(afterHeader)]);
  }

  const rawPixels = (bytes: Buffer) => sharp(bytes).ensureAlpha().raw().toBuffer();

  it('the unparameterised PNG is never larger than the stored file, has no metadata, and the same pixels', async () => {
    // A palette PNG with text metadata, as optimisers and editors write them.
    const palette = withTextChunk(
      await sharp(await images.png(300, 200))
        .png({ palette: true, colours: 16, compressionLevel: 9 })
        .toBuffer(),
      'Copyright\0png-owner-name',
    );
    const truecolour = await images.png(257, 129);
    for (const file of [palette, truecolour]) {
      const media = await upload(file);
      const served = await image(media.src);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(served.body.length).toBeLessThanOrEqual(file.length);
      expect(served.body.includes('png-owner-name')).toBe(false);
      expect(
        chunks(served.body).filter((type) => !['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND'].includes(type)),
      ).toEqual([]);
      expect((await rawPixels(served.body)).equals(await rawPixels(file))).toBe(true);
    }
  });

  it('a reduced rendition of a palette PNG stays a palette PNG no larger than the original', async () => {
    const shapes = Array.from(
      { length: 40 },
      (_, i) =>
        `<rect x="${(i * 137) % 700}" y="${(i * 89) % 500}" width="${60 + (i % 7) * 15}" height="${30 + (i % 4) * 12}" rx="6" fill="hsl(${(i * 47) % 360},60%,50%)" stroke="#222" stroke-width="3"/>`,
    ).join('');
    const drawing = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><rect width="800" height="600" fill="#f4f1ea"/>${shapes}</svg>`,
    );
    const palette = await sharp(drawing).png({ palette: true, colours: 64, compressionLevel: 9 }).toBuffer();
    const media = await upload(palette);
    for (const query of ['w=400', 'size=s', 'w=300&h=300&fit=cover']) {
      const reduced = await image(variant(media, 'png', query));
      expect(reduced.body.length, query).toBeLessThanOrEqual(palette.length);
      expect(reduced.body.readUInt8(25), query).toBe(3);
    }
  });

  it('a PNG rendition with ≤ 256 colours is an exact palette PNG', async () => {
    const gif = await upload(await images.animated('gif', 1, 64, 48));
    const png = await image(variant(gif, 'png'));
    expect(png.body.readUInt8(25)).toBe(3); // IHDR colour type 3: indexed
    expect((await rawPixels(png.body)).equals(await rawPixels((await image(gif.src)).body))).toBe(true);
  });

  it('the social card of an opaque PNG is a JPEG, whatever extension asked for it', async () => {
    const media = await upload(await images.png(400, 300));
    for (const ext of ['png', 'gif', 'jpg']) {
      const card = await image(variant(media, ext, 'size=social'));
      expect(card.headers.get('content-type'), ext).toBe('image/jpeg');
      expect(await dimensions(card.body)).toEqual({ width: 1200, height: 630 });
    }
  });
});

describe('srcset', () => {
  it('lists the common widths below the image and each entry loads at its width, free like presets', async () => {
    const signed = await startTestServer({ LIGHTBOX_SIGNED_TRANSFORMS: 'true' });
    try {
      const account = await keyedAccount(signed, { verified: true });
      const media = await uploaded(signed, await images.jpeg(1000, 500), { key: account.key });
      const entries = media.srcset.split(', ').map((entry) => entry.split(' ') as [string, string]);
      expect(entries.map(([, width]) => width)).toEqual(['320w', '640w', '960w', '1000w']);
      for (const [url, width] of entries) {
        // Unsigned, on a server that signs transforms: still served as asked.
        const response = await fetchRaw(url);
        expect(response.status).toBe(200);
        expect(response.headers.get('x-rendition-substitute')).toBeNull();
        expect(`${(await dimensions(response.body)).width}w`).toBe(width);
      }
      const auto = media.srcset_auto.split(', ')[0]?.split(' ')[0] ?? '';
      const negotiated = await fetchRaw(auto, { accept: CHROME });
      expect(negotiated.headers.get('content-type')).toBe('image/avif');
    } finally {
      await signed.close();
    }
  });
});
