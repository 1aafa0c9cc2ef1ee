import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobSource } from '../src/blobs/blobs.ts';
import { HotRenditions } from '../src/delivery/hot-renditions.ts';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { eventually } from './support/eventually.ts';
import * as images from './support/images.ts';
import { blobsUnder, type Keyed, keyedAccount, type MediaBody, uploaded } from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let owner: Keyed;

beforeAll(async () => {
  server = await startTestServer();
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

/** A request whose body is kept as bytes (the shared helper reads text). */
async function fetchRaw(
  url: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const response = await fetch(url, { method: init.method ?? 'GET', headers: init.headers ?? {} });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

/** A 200 image response, or a failure naming what came back. */
async function image(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await fetchRaw(url, { headers });
  expect(response.status, `${url}: ${response.body.toString('utf8', 0, 200)}`).toBe(200);
  return response;
}

/** The same media's src with another extension and an optional query. */
const variant = (media: MediaBody, ext: string, query = ''): string =>
  `${media.src.replace(/\.[a-z]+$/, `.${ext}`)}${query ? `?${query}` : ''}`;

const renditionFiles = (id: string) => blobsUnder(server, `renditions/${id}`);

const upload = (file: Buffer, fields: Record<string, string> = {}) =>
  uploaded(server, file, { key: owner.key, fields });

const MAGIC: Record<string, (bytes: Buffer) => boolean> = {
  jpeg: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  png: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  webp: (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP',
  avif: (b) => b.toString('latin1', 4, 8) === 'ftyp' && /avi[fs]/.test(b.toString('latin1', 8, 32)),
  gif: (b) => /^GIF8[79]a$/.test(b.toString('latin1', 0, 6)),
};

const size = async (bytes: Buffer) => {
  const meta = await sharp(bytes).metadata();
  return { width: meta.width, height: meta.pageHeight ?? meta.height };
};

describe('formats', () => {
  let photo: MediaBody;
  beforeAll(async () => {
    photo = await upload(await images.jpeg(96, 64));
  });

  it.each([
    ['jpg', 'jpeg', 'image/jpeg'],
    ['jpeg', 'jpeg', 'image/jpeg'],
    ['png', 'png', 'image/png'],
    ['webp', 'webp', 'image/webp'],
    ['avif', 'avif', 'image/avif'],
    ['gif', 'gif', 'image/gif'],
  ])('.%s serves %s with Content-Type %s, full size', async (ext, format, type) => {
    const response = await image(variant(photo, ext));
    expect(response.headers.get('content-type')).toBe(type);
    expect(MAGIC[format]?.(response.body), `magic bytes of ${format}`).toBe(true);
    expect((await sharp(response.body).metadata()).format).toBe(format === 'avif' ? 'heif' : format);
    expect(await size(response.body)).toEqual({ width: 96, height: 64 });
  });

  it.each([
    ['jpg', 'webp', 'image/webp'],
    ['png', 'avif', 'image/avif'],
    ['webp', 'jpg', 'image/jpeg'],
    ['jpg', 'png', 'image/png'],
    ['jpg', 'gif', 'image/gif'],
  ])('.%s?format=%s serves %s (format= overrides the extension)', async (ext, format, type) => {
    const response = await image(variant(photo, ext, `format=${format}`));
    expect(response.headers.get('content-type')).toBe(type);
    expect(MAGIC[format === 'jpg' ? 'jpeg' : format]?.(response.body)).toBe(true);
  });

  it('the unparameterised src of a PNG is still PNG and pixel-identical to the upload', async () => {
    const original = await images.png(57, 31);
    const media = await upload(original);
    expect(media.src).toMatch(/\.png$/);
    const response = await image(media.src);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(MAGIC.png?.(response.body)).toBe(true);
    const [served, uploadedPixels] = await Promise.all(
      [response.body, original].map((bytes) => sharp(bytes).raw().toBuffer({ resolveWithObject: true })),
    );
    expect(served?.info).toMatchObject({ width: 57, height: 31, channels: 3 });
    expect(served?.data.equals(uploadedPixels?.data ?? Buffer.alloc(0))).toBe(true);
  });
});

describe('sizes and fits', () => {
  let landscape: MediaBody; // 2000 × 1500
  let wide: MediaBody; // 800 × 400
  let small: MediaBody; // 200 × 100
  beforeAll(async () => {
    [landscape, wide, small] = await Promise.all([
      upload(await images.jpeg(2000, 1500)),
      upload(await images.jpeg(800, 400)),
      upload(await images.png(200, 100)),
    ]);
  });

  it.each([
    ['s', 427, 320],
    ['m', 853, 640],
    ['l', 1440, 1080],
  ])('size=%s: the short side is its preset (%i × %i)', async (preset, width, height) => {
    const response = await image(`${landscape.src}?size=${preset}`);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(await size(response.body)).toEqual({ width, height });
  });

  it('size=s|m|l never enlarge a small image', async () => {
    for (const preset of ['s', 'm', 'l']) {
      const response = await image(`${small.src}?size=${preset}`);
      expect(await size(response.body), preset).toEqual({ width: 200, height: 100 });
    }
  });

  it('the sizes listed in the media object load', async () => {
    for (const [preset, url] of Object.entries(landscape.sizes)) {
      const response = await image(url);
      const short = { s: 320, m: 640, l: 1080 }[preset as 's' | 'm' | 'l'];
      expect((await size(response.body)).height).toBe(short);
    }
  });

  it('size=social is 1200 × 630, for a small and a large source', async () => {
    for (const media of [small, landscape]) {
      const response = await image(variant(media, 'jpg', 'size=social'));
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      expect(await size(response.body)).toEqual({ width: 1200, height: 630 });
    }
  });

  it.each([
    ['w=200', 200, 100],
    ['h=100', 200, 100],
    ['w=2000', 800, 400], // scale-down (the default) never enlarges
    ['w=1600&fit=contain', 1600, 800], // with one side given, contain scales to it
    ['w=200&h=200', 200, 100],
    ['w=200&h=200&fit=scale-down', 200, 100],
    ['w=200&h=200&fit=contain', 200, 100],
    ['w=200&h=200&fit=cover', 200, 200],
    ['w=200&h=200&fit=crop', 200, 200],
    ['w=200&h=200&fit=pad', 200, 200],
    ['w=1600&h=1600&fit=scale-down', 800, 400],
    ['w=1600&h=1600&fit=contain', 1600, 800],
    ['w=300&h=100&fit=cover', 300, 100],
    ['w=300&h=100&fit=pad', 300, 100],
  ])('800 × 400 with %s → %i × %i', async (query, width, height) => {
    const response = await image(`${wide.src}?${query}`);
    expect(await size(response.body)).toEqual({ width, height });
  });

  it('pad keeps the whole image and pads it (white for JPEG)', async () => {
    const response = await image(`${wide.src}?w=200&h=200&fit=pad`);
    const { data, info } = await sharp(response.body).raw().toBuffer({ resolveWithObject: true });
    // The top-left corner is padding (the image is 200 × 100 centred in 200 × 200).
    const corner = [...data.subarray(0, info.channels)];
    for (const channel of corner) expect(channel).toBeGreaterThan(245);
  });

  it('q changes the JPEG size', async () => {
    const [low, high] = await Promise.all([
      image(`${landscape.src}?size=m&q=10`),
      image(`${landscape.src}?size=m&q=95`),
    ]);
    expect(await size(low.body)).toEqual(await size(high.body));
    expect(low.body.length * 2).toBeLessThan(high.body.length);
  });

  it.each([
    ['size=xl', ''],
    ['w=-5', ''],
    ['w=abc&h=0', ''],
    ['fit=zoom&w=200', 'w=200'],
    ['q=500', ''],
    ['q=0', ''],
    ['format=tiff', ''],
    ['size=xl&w=-5&fit=zoom&q=500&format=tiff', ''],
  ])('invalid %s is ignored: 200, the same bytes and ETag as without it', async (invalid, valid) => {
    const url = (query: string) => variant(wide, 'webp', query);
    const [bad, good] = [await image(url(invalid)), await image(url(valid))];
    expect(bad.headers.get('content-type')).toBe('image/webp');
    expect(bad.headers.get('etag')).toBe(good.headers.get('etag'));
    expect(bad.body.equals(good.body)).toBe(true);
  });
});

describe('what every response strips and keeps', () => {
  it('EXIF and GPS are stripped from the original and from renditions; the stored original keeps them', async () => {
    const withGps = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#336699' } })
      .jpeg()
      .withExif({
        IFD0: { Make: 'LightboxCam', Copyright: 'exif-owner-name' },
        IFD3: {
          GPSLatitudeRef: 'N',
          GPSLatitude: '51/1 30/1 1234/100',
          GPSLongitudeRef: 'W',
          GPSLongitude: '0/1 7/1 3900/100',
        },
      })
      .toBuffer();
    expect((await sharp(withGps).metadata()).exif?.length).toBeGreaterThan(0);
    expect(withGps.includes('LightboxCam')).toBe(true);
    const media = await upload(withGps);
    for (const url of [
      media.src,
      `${media.src}?size=s`,
      variant(media, 'webp'),
      variant(media, 'png', 'w=100'),
    ]) {
      const { body } = await image(url);
      const meta = await sharp(body).metadata();
      expect(meta.exif, url).toBeUndefined();
      expect(body.includes('Exif\0\0'), url).toBe(false);
      expect(body.includes('LightboxCam'), url).toBe(false);
      expect(body.includes('exif-owner-name'), url).toBe(false);
    }
    const stored = await server.services.blobs.getBuffer(`originals/${media.id}`);
    expect(stored?.equals(withGps)).toBe(true);
  });

  it('an animated GIF stays animated: as itself, resized, and as WebP', async () => {
    const media = await upload(await images.animated('gif', 3, 40, 30));
    expect(media.src).toMatch(/\.gif$/);
    for (const [url, width] of [
      [media.src, 40],
      [`${media.src}?w=20`, 20],
      [variant(media, 'webp'), 40],
    ] as const) {
      const { body } = await image(url);
      const meta = await sharp(body, { animated: true }).metadata();
      expect(meta.pages, url).toBe(3);
      expect(meta.width, url).toBe(width);
    }
    // JPEG cannot hold an animation: the first frame.
    const still = await image(variant(media, 'jpg'));
    expect((await sharp(still.body).metadata()).pages ?? 1).toBe(1);
  });

  it('SVG is served sanitized with a restrictive CSP, and rasterized when .png is asked', async () => {
    const hostile = images.svg(
      '<script>alert(1)</script><rect width="60" height="60" fill="red" onclick="alert(2)"/>' +
        '<a href="javascript:alert(3)"><circle r="5"/></a>',
    );
    const media = await upload(hostile);
    expect(media.src).toMatch(/\.svg$/);
    const response = await image(media.src);
    expect(response.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const text = response.body.toString('utf8');
    expect(text).toContain('<svg');
    expect(text).toContain('<rect');
    expect(text).not.toMatch(/script|onclick|javascript:/i);

    const raster = await image(variant(media, 'png'));
    expect(raster.headers.get('content-type')).toBe('image/png');
    expect(raster.headers.get('content-security-policy')).toBeNull();
    expect(MAGIC.png?.(raster.body)).toBe(true);
    expect(await size(raster.body)).toEqual({ width: 120, height: 60 });
    const sized = await image(`${media.src}?w=60`);
    expect(sized.headers.get('content-type')).toBe('image/png');
    expect(await size(sized.body)).toEqual({ width: 60, height: 30 });
  });
});

describe('caching headers, conditional requests, HEAD', () => {
  let media: MediaBody;
  beforeAll(async () => {
    media = await upload(await images.jpeg(300, 200));
  });

  const expectCachingHeaders = (response: RawResponse) => {
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('etag')).toMatch(/^"[!#-~]+"$/); // strong: no W/ prefix
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  };

  it('a miss and a hit both carry the caching headers and a Content-Length equal to the body', async () => {
    const url = `${media.src}?w=120`;
    const miss = await image(url);
    const hit = await image(url);
    for (const response of [miss, hit]) {
      expectCachingHeaders(response);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      expect(Number(response.headers.get('content-length'))).toBe(response.body.length);
    }
    expect(hit.headers.get('etag')).toBe(miss.headers.get('etag'));
    expect(hit.body.equals(miss.body)).toBe(true);
  });

  it('distinct renditions have distinct ETags', async () => {
    const etags = new Set<string | null>();
    for (const query of ['', 'w=100', 'w=101', 'size=s', 'q=50']) {
      etags.add((await image(`${media.src}${query ? `?${query}` : ''}`)).headers.get('etag'));
    }
    etags.add((await image(variant(media, 'webp'))).headers.get('etag'));
    expect(etags.size).toBe(6);
  });

  it('If-None-Match with the ETag → 304 without a body, on a miss and on a hit', async () => {
    const url = `${media.src}?w=77`;
    const etag = (await fetchRaw(url, { method: 'HEAD' })).headers.get('etag') ?? '';
    for (const header of [etag, `"other", ${etag}`, '*']) {
      const response = await fetchRaw(url, { headers: { 'if-none-match': header } });
      expect(response.status, header).toBe(304);
      expect(response.body.length).toBe(0);
      expect(response.headers.get('etag')).toBe(etag);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    // A rendition never fetched before: the ETag is known without computing it.
    const fresh = `${media.src}?w=78`;
    const freshEtag = (await fetchRaw(fresh, { method: 'HEAD' })).headers.get('etag') ?? '';
    expect((await fetchRaw(fresh, { headers: { 'if-none-match': freshEtag } })).status).toBe(304);
    const other = await fetchRaw(url, { headers: { 'if-none-match': '"not-it"' } });
    expect(other.status).toBe(200);
    expect(other.body.length).toBeGreaterThan(0);
  });

  it('HEAD has the headers of GET and no body, on a miss and on a hit', async () => {
    const url = `${media.src}?w=150`;
    const headMiss = await fetchRaw(url, { method: 'HEAD' });
    const get = await image(url);
    const headHit = await fetchRaw(url, { method: 'HEAD' });
    for (const head of [headMiss, headHit]) {
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      expectCachingHeaders(head);
      for (const name of ['content-type', 'content-length', 'etag', 'cache-control']) {
        expect(head.headers.get(name), name).toBe(get.headers.get(name));
      }
    }
    expect(Number(headHit.headers.get('content-length'))).toBe(get.body.length);
  });
});

describe('the rendition cache', () => {
  /** Counts blob writes under `renditions/<id>/` by wrapping the real blob store's `put` (nothing is mocked). */
  function countPuts(id: string, holdMs: number) {
    const blobs = server.services.blobs;
    const original = blobs.put;
    const keys: string[] = [];
    blobs.put = async (key: string, source: BlobSource, options?: { contentType?: string }) => {
      if (key.startsWith(`renditions/${id}/`)) {
        keys.push(key);
        // Holding the write keeps the computation open long enough for every concurrent request to arrive.
        await new Promise((resolve) => setTimeout(resolve, holdMs));
      }
      return original.call(blobs, key, source, options);
    };
    return {
      keys,
      restore: () => {
        blobs.put = original;
      },
    };
  }

  it('10 concurrent misses of one rendition share one computation; the next request is a cache hit', async () => {
    const media = await upload(await images.jpeg(1600, 1200));
    expect(await renditionFiles(media.id)).toEqual([]);
    const puts = countPuts(media.id, 300);
    try {
      const url = `${media.src}?w=333&q=71`;
      const responses = await Promise.all(Array.from({ length: 10 }, () => image(url)));
      expect(puts.keys).toEqual([`renditions/${media.id}/w333-h0-scale-down-q71.jpeg`]);
      const first = responses[0] as RawResponse;
      for (const response of responses) {
        expect(response.body.equals(first.body)).toBe(true);
        expect(response.headers.get('etag')).toBe(first.headers.get('etag'));
      }
      expect(await size(first.body)).toEqual({ width: 333, height: 250 });
      const written = await eventually(
        () => renditionFiles(media.id),
        (files) => files.length > 0,
      );
      expect(written).toEqual(['w333-h0-scale-down-q71.jpeg']);
      const cached = await server.services.blobs.getBuffer(
        `renditions/${media.id}/w333-h0-scale-down-q71.jpeg`,
      );
      expect(cached?.equals(first.body)).toBe(true);

      const again = await image(url);
      expect(puts.keys).toHaveLength(1);
      expect(again.body.equals(first.body)).toBe(true);
      expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(again.headers.get('content-length')).toBe(first.headers.get('content-length'));
    } finally {
      puts.restore();
    }
  });

  it('a large rendition (too big to keep in memory) is served from the blob store whole, GET and HEAD', async () => {
    const original = await images.noisePng(3_000_000);
    const media = await upload(original);
    const miss = await image(media.src);
    expect(miss.body.length).toBeGreaterThan(2 * 1024 * 1024);
    await eventually(
      () => renditionFiles(media.id),
      (files) => files.length === 1,
    );
    const puts = countPuts(media.id, 0);
    try {
      const hit = await image(media.src);
      const head = await fetchRaw(media.src, { method: 'HEAD' });
      expect(puts.keys).toEqual([]);
      expect(hit.body.equals(miss.body)).toBe(true);
      for (const response of [hit, head]) {
        expect(response.headers.get('content-length')).toBe(String(miss.body.length));
        expect(response.headers.get('etag')).toBe(miss.headers.get('etag'));
        expect(response.headers.get('content-type')).toBe('image/png');
      }
      expect(head.body.length).toBe(0);
    } finally {
      puts.restore();
    }
  });

  it('distinct renditions are computed and stored once each', async () => {
    const media = await upload(await images.jpeg(400, 300));
    const puts = countPuts(media.id, 0);
    try {
      const urls = [media.src, `${media.src}?size=s`, variant(media, 'webp', 'size=s'), `${media.src}?w=50`];
      for (let round = 0; round < 2; round++) for (const url of urls) await image(url);
      expect(puts.keys).toHaveLength(4);
      const written = await eventually(
        () => renditionFiles(media.id),
        (files) => files.length === 4,
      );
      expect(written).toEqual(['original.jpeg', 's.jpeg', 's.webp', 'w50-h0-scale-down.jpeg'].sort());
    } finally {
      puts.restore();
    }
  });
});

describe('who can load what', () => {
  const oneCharChanged = (src: string) =>
    src.replace(/\/src\/([^/]+)\//, (_, token: string) => {
      const last = token.at(-1) === 'A' ? 'B' : 'A';
      return `/src/${token.slice(0, -1)}${last}/`;
    });

  it('private media: its src works with its token; a token with one char changed → 404; no viewer page', async () => {
    const media = await upload(await images.jpeg(64, 48), { public: 'false' });
    expect(media.public).toBe(false);
    await image(media.src);
    await image(`${media.src}?size=s`);
    const wrong = oneCharChanged(media.src);
    expect(wrong).not.toBe(media.src);
    expect(wrong.length).toBe(media.src.length);
    for (const url of [wrong, `${wrong}?size=s`, variant({ ...media, src: wrong }, 'webp')]) {
      const response = await fetchRaw(url);
      expect(response.status, url).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('etag')).toBeNull();
    }
    expect((await fetchRaw(`${server.url}/i/${media.id}`)).status).toBe(404);
  });

  it('a public media with a wrong, short or long token → 404', async () => {
    const media = await upload(await images.jpeg(64, 48));
    const token = /\/src\/([^/]+)\//.exec(media.src)?.[1] ?? '';
    for (const bad of [
      oneCharChanged(media.src),
      media.src.replace(token, token.slice(1)),
      media.src.replace(token, `${token}x`),
    ]) {
      expect((await fetchRaw(bad)).status, bad).toBe(404);
    }
    expect((await fetchRaw(media.src.replace(token, 'x'.repeat(80)))).status).toBe(404);
  });

  it('unknown ids and malformed file names → 404', async () => {
    const media = await upload(await images.jpeg(64, 48));
    const base = media.src.slice(0, media.src.lastIndexOf('/'));
    for (const file of ['ZZZZZZZZ.jpg', 'short.jpg', `${media.id}`, `${media.id}.`, `${media.id}.jpg.jpg`]) {
      expect((await fetchRaw(`${base}/${file}`)).status, file).toBe(404);
    }
    expect((await fetchRaw(`${server.url}/src/${'A'.repeat(16)}/ZZZZZZZZ.jpg`)).status).toBe(404);
  });

  it('deleted media: its src and renditions → 404 and renditions/<id>/ is gone', async () => {
    const media = await upload(await images.jpeg(300, 200));
    const urls = [media.src, `${media.src}?size=s`, variant(media, 'webp', 'w=100')];
    for (const url of urls) await image(url);
    expect(
      await eventually(
        () => renditionFiles(media.id),
        (files) => files.length === 3,
      ),
    ).toHaveLength(3);
    const deleted = await server.request('DELETE', `/v1/media/${media.id}`, { key: owner.key });
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.body).toEqual({ id: media.id, deleted: true });
    for (const url of [...urls, `${media.src}?size=m`]) expect((await fetchRaw(url)).status, url).toBe(404);
    expect(await renditionFiles(media.id)).toEqual([]);
    expect(await blobsUnder(server, 'renditions')).not.toContain(
      expect.stringMatching(new RegExp(`^${media.id}/`)),
    );
    expect((await fetchRaw(`${server.url}/i/${media.id}`)).status).toBe(404);
  });

  it('a row deleted by another process (not through this one) stops being served within a second', async () => {
    const media = await upload(await images.jpeg(40, 30));
    expect((await fetchRaw(media.src)).status).toBe(200);
    // What another API process's delete does to the shared store; this process is not told.
    await server.services.store.db.deleteFrom('media').where('id', '=', media.id).execute();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await fetchRaw(media.src)).status).toBe(404);
  });

  it('a rendition still being computed when its media is deleted leaves nothing behind', async () => {
    const media = await upload(await images.jpeg(600, 400));
    const blobs = server.services.blobs;
    const original = blobs.put;
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached = () => {};
    const writing = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let written = () => {};
    const done = new Promise<void>((resolve) => {
      written = resolve;
    });
    blobs.put = async (key: string, source: BlobSource, options?: { contentType?: string }) => {
      if (!key.startsWith(`renditions/${media.id}/`)) return original.call(blobs, key, source, options);
      reached();
      await held;
      try {
        return await original.call(blobs, key, source, options);
      } finally {
        written();
      }
    };
    try {
      const pending = fetchRaw(`${media.src}?size=s`);
      await writing; // rendered, about to be cached
      const deleted = await server.request('DELETE', `/v1/media/${media.id}`, { key: owner.key });
      expect(deleted.status).toBe(200);
      release();
      await pending;
      await done;
      // The late write landed after the deletion cleaned up; the delivery layer removes it again.
      expect(
        await eventually(
          () => renditionFiles(media.id),
          (files) => files.length === 0,
        ),
      ).toEqual([]);
      expect((await fetchRaw(`${media.src}?size=s`)).status).toBe(404);
    } finally {
      release();
      blobs.put = original;
    }
  });

  it('expired media → 404 for its src, its renditions and its viewer page', async () => {
    const media = await upload(await images.jpeg(64, 48), { ttl: '300' });
    expect(media.expires_at).not.toBeNull();
    await image(media.src);
    await image(`${media.src}?size=s`);
    expect((await fetchRaw(`${server.url}/i/${media.id}`)).status).toBe(200);
    await server.services.store.db
      .updateTable('media')
      .set({ expires_at: Date.now() - 1000 })
      .where('id', '=', media.id)
      .execute();
    // Time moving past `expires_at` needs no notice (the cached row's expiry is checked per request); moving
    // `expires_at` itself is a change to the row, announced as the media service announces its updates.
    server.services.mediaChanges.notify(media.id);
    for (const url of [media.src, `${media.src}?size=s`, `${media.src}?size=m`]) {
      expect((await fetchRaw(url)).status, url).toBe(404);
    }
    expect((await fetchRaw(`${server.url}/i/${media.id}`)).status).toBe(404);
  });
});

describe('LIGHTBOX_HOT_CACHE_MB', () => {
  /** Serves a rendition, lets its cache write land, then replaces the stored bytes: which bytes come back next? */
  async function servedAfterStoreChange(target: TestServer): Promise<{ first: Buffer; second: Buffer }> {
    const account = await keyedAccount(target, { verified: true });
    const media = await uploaded(target, await images.jpeg(80, 60), { key: account.key });
    const url = variant(media, 'webp', 'size=s');
    const stored = target.services.renditionStats.stored;
    const first = (await image(url)).body;
    const key = `renditions/${media.id}/s.webp`;
    // Until its write is done, later requests share the computed bytes; `stored` counts finished writes.
    await eventually(
      async () => target.services.renditionStats.stored,
      (count) => count > stored,
    );
    expect(await target.services.blobs.stat(key)).not.toBeNull();
    await target.services.blobs.put(key, await images.raster('webp', 10, 10));
    return { first, second: (await image(url)).body };
  }

  it('default: a hot rendition is answered from memory, without reading the blob store', async () => {
    const { first, second } = await servedAfterStoreChange(server);
    expect(second.equals(first)).toBe(true);
  });

  it('0: every hit reads the blob store', async () => {
    const uncached = await startTestServer({ LIGHTBOX_HOT_CACHE_MB: '0' });
    try {
      const { first, second } = await servedAfterStoreChange(uncached);
      expect(second.equals(first)).toBe(false);
      expect(await size(second)).toEqual({ width: 10, height: 10 });
    } finally {
      await uncached.close();
    }
  });
});

describe('the in-memory hot cache (unit)', () => {
  it('keeps at most maxBytes, evicts the least recently used, skips bodies over maxEntryBytes', () => {
    const hot = new HotRenditions({ maxBytes: 100, maxEntryBytes: 60 });
    const body = (n: number, fill: number) => Buffer.alloc(n, fill);
    hot.set('a', body(40, 1));
    hot.set('b', body(40, 2));
    expect(hot.get('a')?.[0]).toBe(1); // a is now the most recently used
    hot.set('c', body(40, 3)); // 120 > 100: b goes
    expect(hot.get('b')).toBeUndefined();
    expect(hot.get('a')?.[0]).toBe(1);
    expect(hot.get('c')?.[0]).toBe(3);
    expect(hot.bytes).toBe(80);
    hot.set('big', body(61, 4));
    expect(hot.get('big')).toBeUndefined();
    hot.set('a', body(10, 5)); // replacing an entry frees its old bytes
    expect(hot.bytes).toBe(50);
    expect(hot.size).toBe(2);
    expect(new HotRenditions({ maxBytes: 0, maxEntryBytes: 10 }).fits(1)).toBe(false);
  });
});
