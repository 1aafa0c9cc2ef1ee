import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchAccount, pathOf } from './support/fixtures.ts';
import * as images from './support/images.ts';
import {
  DAY_SECONDS,
  expectHostingError,
  expectMediaShape,
  expectValidationError,
  type Keyed,
  keyedAccount,
  listAll,
  type MediaBody,
  mediaRow,
  nowSeconds,
  scratchFiles,
  storedOriginals,
  type UploadOptions,
  upload,
  uploaded,
  usage,
} from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let verified: Keyed;

beforeAll(async () => {
  server = await startTestServer({
    // Anonymous uploads here test shapes, not the hourly limit (media-quotas covers that).
    LIGHTBOX_ANON_UPLOADS_PER_HOUR: '1000',
    LIGHTBOX_ANON_UPLOADS_PER_DAY: '1000',
  });
  verified = await keyedAccount(server, { verified: true });
});

afterAll(async () => {
  await server?.close();
});

/** Within a few seconds of `expected` (the server and the test read the clock at slightly different times). */
const expectAbout = (actual: number | null, expected: number) => {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual ?? 0) - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(5);
};

describe('POST /v1/upload: every listed format is accepted and probed', () => {
  const cases: { format: string; make: () => Promise<Buffer> | Buffer; width: number; height: number }[] = [
    { format: 'jpeg', make: () => images.jpeg(41, 23), width: 41, height: 23 },
    { format: 'png', make: () => images.png(17, 29), width: 17, height: 29 },
    { format: 'webp', make: () => images.raster('webp', 33, 12), width: 33, height: 12 },
    { format: 'avif', make: () => images.raster('avif', 24, 16), width: 24, height: 16 },
    { format: 'svg', make: () => images.svg(), width: 120, height: 60 },
    { format: 'bmp', make: () => images.bmp(31, 20), width: 31, height: 20 },
    { format: 'ico', make: () => images.ico(32), width: 32, height: 32 },
  ];

  it.each(cases)('$format: format, width, height and filesize come from the bytes', async (c) => {
    const bytes = await c.make();
    // A neutral name and a wrong declared type: only the bytes can tell the format.
    const body = await uploaded(server, bytes, {
      key: verified.key,
      filename: 'upload.bin',
      type: 'text/plain',
    });
    expectMediaShape(server, body);
    expect(body).toMatchObject({
      format: c.format,
      width: c.width,
      height: c.height,
      filesize: bytes.length,
    });
    // By the time the client has its 201, the upload's scratch file is gone.
    expect(await scratchFiles(server)).toEqual([]);

    const stored = await server.request('GET', `/v1/media/${body.id}`, { key: verified.key });
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual(body);
    // The original is kept byte for byte.
    expect(await server.services.blobs.getBuffer(`originals/${body.id}`)).toEqual(bytes);
  });

  it('animated GIF: width/height of one frame, every frame counted in the row', async () => {
    const gif = await images.animated('gif', 3, 20, 10);
    const body = await uploaded(server, gif, { key: verified.key, filename: 'anim.gif' });
    expect(body).toMatchObject({ format: 'gif', width: 20, height: 10, filesize: gif.length });
    expect((await mediaRow(server, body.id))?.frames).toBe(3);
  });

  it('animated WebP keeps its frames too', async () => {
    const webp = await images.animated('webp', 4, 12, 8);
    const body = await uploaded(server, webp, { key: verified.key });
    expect(body).toMatchObject({ format: 'webp', width: 12, height: 8 });
    expect((await mediaRow(server, body.id))?.frames).toBe(4);
  });

  it('the type is detected from the bytes, not the name: a PNG named x.jpg is a png', async () => {
    const body = await uploaded(server, await images.png(10, 10), {
      key: verified.key,
      filename: 'x.jpg',
      type: 'image/jpeg',
    });
    expect(body.format).toBe('png');
    expect(body.src).toMatch(/\.png$/);
    expect(body.name).toBe('x.jpg');
  });

  it('HEIC is recognised from its bytes; one that cannot be decoded is refused as corrupt, not as unknown', async () => {
    // No real HEIC can be made offline (no HEVC encoder): this HEIF-branded file proves detection and refusal.
    const before = await storedOriginals(server);
    const response = await upload(server, await images.rebrandedHeic(), {
      key: verified.key,
      filename: 'photo.heic',
    });
    expectHostingError(response, 500, 'upload_failed', { message: 'File is truncated or corrupt' });
    expect(await storedOriginals(server)).toEqual(before);
  });
});

describe('POST /v1/upload: fields', () => {
  it('name, tags (lowercased, trimmed, deduplicated), namespace, public=false, date and metadata', async () => {
    const body = await uploaded(server, await images.jpeg(), {
      key: verified.key,
      filename: 'ignored.jpg',
      fields: {
        name: 'Summer party',
        tags: ' Red, blue ,RED,green,, Blue',
        namespace: 'client-42',
        public: 'false',
        date: '2024-05-01',
        camera: 'X100V',
        shot_by: 'ana',
      },
    });
    expectMediaShape(server, body);
    expect(body).toMatchObject({
      name: 'Summer party',
      tags: ['red', 'blue', 'green'],
      namespace: 'client-42',
      public: false,
      date: '2024-05-01',
      metadata: { camera: 'X100V', shot_by: 'ana' },
      expires_at: null,
    });
  });

  it('defaults: name is the file name, public, no namespace, no tags, no date, empty metadata', async () => {
    const body = await uploaded(server, await images.png(), { key: verified.key, filename: 'cat.png' });
    expect(body).toMatchObject({
      name: 'cat.png',
      public: true,
      namespace: null,
      tags: [],
      date: null,
      metadata: {},
    });
  });

  it('a full ISO timestamp is accepted as date and normalised to UTC', async () => {
    const body = await uploaded(server, await images.png(), {
      key: verified.key,
      fields: { date: '2024-05-01T12:30:00+02:00' },
    });
    expect(body.date).toBe('2024-05-01T10:30:00.000Z');
  });

  it('description is kept as metadata, bounded like a metadata value', async () => {
    const body = await uploaded(server, await images.png(), {
      key: verified.key,
      fields: { description: 'A red square', credit: 'me' },
    });
    expect(body.metadata).toEqual({ description: 'A red square', credit: 'me' });
    const long = await upload(server, await images.png(), {
      key: verified.key,
      fields: { description: 'x'.repeat(501) },
    });
    expectValidationError(long, ['description']);
  });

  it('limits at their edge are accepted: 10 tags, a 50-character tag, ttl 5m and 90d, 20 metadata fields', async () => {
    const tags = Array.from({ length: 9 }, (_, i) => `t${i}`).concat('x'.repeat(50));
    const metadata = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k_${i}`, 'v'.repeat(500)]));
    const short = await uploaded(server, await images.png(), {
      key: verified.key,
      fields: { tags: tags.join(','), ttl: '5m', ...metadata },
    });
    expect(short.tags).toEqual(tags);
    expect(Object.keys(short.metadata)).toHaveLength(20);
    expectAbout(short.expires_at, nowSeconds() + 300);
    const long = await uploaded(server, await images.png(), { key: verified.key, fields: { ttl: '90d' } });
    expectAbout(long.expires_at, nowSeconds() + 90 * DAY_SECONDS);
  });

  it.each(['1h', '3600'])('ttl %s expires the media an hour from now', async (ttl) => {
    const body = await uploaded(server, await images.png(), { key: verified.key, fields: { ttl } });
    expectAbout(body.expires_at, nowSeconds() + 3600);
  });
});

describe('POST /v1/upload: retention by caller', () => {
  it('anonymous: expires in 30 days and carries the register upgrade object', async () => {
    const response = await upload(server, await images.png(), { filename: 'anon.png' });
    expect(response.status, response.text).toBe(201);
    const body = response.body as MediaBody;
    expectMediaShape(server, body, { anonymous: true });
    expectAbout(body.expires_at, nowSeconds() + 30 * DAY_SECONDS);
    expect(body.upgrade).toEqual({
      type: 'register',
      url: `${server.url}/docs/quick-start`,
      message: expect.stringContaining('POST /v1/keys'),
      label: expect.any(String),
    });
    // Anonymous uploads are rate limited: the route says how much is left.
    expect(response.headers.get('x-ratelimit-limit')).toBe('1000');
  });

  it('anonymous with a shorter ttl expires at the ttl', async () => {
    const response = await upload(server, await images.png(), { fields: { ttl: '1h' } });
    expect(response.status, response.text).toBe(201);
    expectAbout(response.body.expires_at, nowSeconds() + 3600);
  });

  it('a verified account uploads permanently and gets no upgrade object', async () => {
    const body = await uploaded(server, await images.png(), { key: verified.key });
    expect(body.expires_at).toBeNull();
    expect(body).not.toHaveProperty('upgrade');
  });

  it('an unverified account: 30 days; verification makes it permanent, an explicit ttl stays', async () => {
    const unverified = await keyedAccount(server, { verified: false });
    const plain = await uploaded(server, await images.png(), { key: unverified.key });
    expectAbout(plain.expires_at, nowSeconds() + 30 * DAY_SECONDS);
    expect(plain).not.toHaveProperty('upgrade');
    const withTtl = await uploaded(server, await images.png(), {
      key: unverified.key,
      fields: { ttl: '2d' },
    });
    expectAbout(withTtl.expires_at, nowSeconds() + 2 * DAY_SECONDS);

    await patchAccount(server, unverified.accountId, { email_verified: true });

    const after = await server.request('GET', `/v1/media/${plain.id}`, { key: unverified.key });
    expect(after.body.expires_at).toBeNull();
    const ttlAfter = await server.request('GET', `/v1/media/${withTtl.id}`, { key: unverified.key });
    expect(ttlAfter.body.expires_at).toBe(withTtl.expires_at);
    // And new uploads of the now verified account are permanent.
    expect((await uploaded(server, await images.png(), { key: unverified.key })).expires_at).toBeNull();
  });
});

describe('POST /v1/upload: bad input is refused and nothing is stored', () => {
  let victim: Keyed;

  beforeAll(async () => {
    victim = await keyedAccount(server, { verified: true });
  });

  /** Runs a refused upload and proves it left no media, no charge, no original and no scratch file. */
  async function refused(file: Buffer | null, options: UploadOptions = {}) {
    const before = {
      originals: await storedOriginals(server),
      used: (await usage(server, victim.key)).uploads,
    };
    const response = await upload(server, file, { key: victim.key, ...options });
    expect(await listAll(server, victim.key)).toEqual([]);
    expect((await usage(server, victim.key)).uploads).toEqual(before.used);
    expect((await usage(server, victim.key)).storage.used_bytes).toBe(0);
    expect(await storedOriginals(server)).toEqual(before.originals);
    expect(await scratchFiles(server)).toEqual([]);
    return response;
  }

  it('no file → 422 validation_error with errors.file', async () => {
    const response = await refused(null, { fields: { name: 'nothing' } });
    expectValidationError(response, ['file']);
    expect(response.body.errors.file).toEqual(['File is required']);
  });

  it('an empty file → 422 validation_error with errors.file', async () => {
    expectValidationError(await refused(Buffer.alloc(0), { filename: 'empty.png' }), ['file']);
  });

  it('a text file named .jpg → 500 upload_failed "Unsupported file type"', async () => {
    const response = await refused(Buffer.from('hello, this is not an image\n'.repeat(20)), {
      filename: 'photo.jpg',
      type: 'image/jpeg',
    });
    expectHostingError(response, 500, 'upload_failed', { message: 'Unsupported file type' });
  });

  it('a truncated JPEG → 500 upload_failed', async () => {
    const response = await refused(await images.truncatedJpeg(), { filename: 'cut.jpg' });
    expectHostingError(response, 500, 'upload_failed', { message: 'File is truncated or corrupt' });
  });

  it('a PNG whose header declares 100000×100000 → 500 upload_failed (refused before decoding)', async () => {
    const response = await refused(images.pngDeclaring(100_000, 100_000), { filename: 'huge.png' });
    expectHostingError(response, 500, 'upload_failed', {
      message: 'Image too large: 100000x100000 pixels exceeds the 100 megapixel limit',
    });
  });

  it('a decompression bomb (20000×20000 single colour, ~50 KB) → 500 upload_failed', async () => {
    const bomb = images.pngBomb(20_000);
    expect(bomb.length).toBeLessThan(100_000);
    const response = await refused(bomb, { filename: 'bomb.png' });
    // This message comes from the header check, before any pixel is decoded (400 megapixels never are).
    expectHostingError(response, 500, 'upload_failed', {
      message: 'Image too large: 20000x20000 pixels exceeds the 100 megapixel limit',
    });
  });

  it('an SVG with <!ENTITY> declarations (and a script) is refused', async () => {
    const svg = Buffer.from(
      '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' +
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script>' +
        '<text>&x;</text></svg>',
    );
    const response = await refused(svg, { filename: 'xxe.svg' });
    expectHostingError(response, 500, 'upload_failed', {
      message: 'SVG files with DOCTYPE entity declarations are not accepted',
    });
  });

  const fieldCases: { name: string; fields: Record<string, string>; field: string }[] = [
    { name: 'bad namespace Bad_NS', fields: { namespace: 'Bad_NS' }, field: 'namespace' },
    { name: 'one-character namespace', fields: { namespace: 'a' }, field: 'namespace' },
    {
      name: '11 tags',
      fields: { tags: Array.from({ length: 11 }, (_, i) => `tag${i}`).join(',') },
      field: 'tags',
    },
    { name: 'a 51-character tag', fields: { tags: `ok,${'x'.repeat(51)}` }, field: 'tags' },
    { name: 'ttl 10 (under 5 minutes)', fields: { ttl: '10' }, field: 'ttl' },
    { name: 'ttl 100d (over 90 days)', fields: { ttl: '100d' }, field: 'ttl' },
    { name: 'ttl in weeks', fields: { ttl: '2w' }, field: 'ttl' },
    { name: 'date 2024-13-45', fields: { date: '2024-13-45' }, field: 'date' },
    { name: 'date "yesterday"', fields: { date: 'yesterday' }, field: 'date' },
    { name: 'public "maybe"', fields: { public: 'maybe' }, field: 'public' },
    { name: 'metadata key with capitals', fields: { Camera: 'x' }, field: 'metadata' },
    { name: 'metadata value over 500 characters', fields: { note: 'n'.repeat(501) }, field: 'metadata' },
    {
      name: '21 metadata fields',
      fields: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])),
      field: 'metadata',
    },
  ];

  it.each(fieldCases)('$name → 422 validation_error with errors.$field', async (c) => {
    const response = await refused(await images.png(), { fields: c.fields });
    expectValidationError(response, [c.field]);
  });

  it('several bad fields are all reported at once', async () => {
    const response = await refused(await images.png(), {
      fields: { namespace: 'Bad_NS', ttl: '10', date: 'soon' },
    });
    expectValidationError(response, ['namespace', 'ttl', 'date']);
  });

  it('an SVG with a script is accepted, stored untouched, and served sanitized: no script survives', async () => {
    const text =
      '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">' +
      '<script>alert(1)</script><rect width="10" height="10" onload="alert(2)" fill="blue"/>' +
      '<a href="javascript:alert(3)"><circle r="4"/></a></svg>';
    const body = await uploaded(server, Buffer.from(text), { key: verified.key, filename: 's.svg' });
    expect(body).toMatchObject({ format: 'svg', width: 40, height: 20 });
    // docs/api.md §2.6: the untouched original stays in storage; what is served goes through the sanitizer.
    expect((await server.services.blobs.getBuffer(`originals/${body.id}`))?.toString()).toBe(text);
    const served = await server.request('GET', pathOf(body.src));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(served.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    );
    expect(served.text).toContain('<rect');
    expect(served.text).not.toMatch(/<script|onload|javascript:/i);
  });
});

describe('POST /v1/upload: size limit (LIGHTBOX_MAX_UPLOAD_MB=2)', () => {
  let small: TestServer;
  let key: string;

  beforeAll(async () => {
    small = await startTestServer({ LIGHTBOX_MAX_UPLOAD_MB: '2' });
    key = (await keyedAccount(small, { verified: true })).key;
  });

  afterAll(async () => {
    await small?.close();
  });

  /**
   * Declares a multipart body with a `fileBytes` file but sends only the first `sendBytes` of it (in 64 KB
   * chunks), then stops and waits up to 5 s for an answer. A server that reads every upload to the end never
   * answers this; one that stops at the limit answers at once. Sending nothing more after the limit keeps the
   * server from resetting the connection under an answer still on its way, so the answer can be read reliably.
   */
  function partialUpload(fileBytes: number, sendBytes: number) {
    const boundary = 'lightbox-test-boundary';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n` +
        'Content-Type: image/png\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const total = head.length + fileBytes + tail.length;
    const { hostname, port } = new URL(small.url);
    return new Promise<{ response: string; sent: number; total: number; error?: string }>((resolve) => {
      let sent = 0;
      let response = '';
      let done = false;
      const socket = connect(Number(port), hostname);
      const timer = setTimeout(() => finish('no answer within 5 s'), 5000);
      const finish = (error?: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve({ response, sent, total, ...(error ? { error } : {}) });
      };
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        response += chunk;
        const [headers = '', body = ''] = response.split('\r\n\r\n');
        const length = /content-length: (\d+)/i.exec(headers)?.[1];
        if (length !== undefined && Buffer.byteLength(body) >= Number(length)) finish();
      });
      socket.on('end', () => finish());
      socket.on('error', (error) => finish(error.message));
      socket.on('connect', async () => {
        socket.write(
          `POST /v1/upload HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${key}\r\n` +
            `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${total}\r\n\r\n`,
        );
        socket.write(head);
        sent += head.length;
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        for (let left = sendBytes; left > 0 && !done; left -= chunk.length) {
          const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
          const flushed = socket.write(piece);
          sent += piece.length;
          if (!flushed) await new Promise((r) => socket.once('drain', r));
        }
      });
    });
  }

  it('a 3 MB file → 500 upload_failed "File too large…", answered without reading the rest, nothing kept', async () => {
    const before = await storedOriginals(small);
    // 2.25 MB of the declared 3 MB: just past the limit, 0.75 MB never sent.
    const result = await partialUpload(3 * 1024 * 1024, 2.25 * 1024 * 1024);
    expect(result.error, JSON.stringify({ ...result, response: undefined })).toBeUndefined();
    expect(result.sent).toBeLessThan(result.total - 700 * 1024);
    const [head = '', text = ''] = result.response.split('\r\n\r\n');
    expect(head, result.response).toMatch(/^HTTP\/1\.1 500 /);
    // And the connection is not kept for the rest of the body.
    expect(head).toMatch(/\r\nconnection: close\r\n/i);
    const body = JSON.parse(text);
    expect(Object.keys(body).sort()).toEqual(['error', 'message', 'request_id']);
    expect(body).toMatchObject({
      error: 'upload_failed',
      message: 'File too large: 3.00 MB. Maximum file size is 2 MB.',
    });
    expect(await storedOriginals(small)).toEqual(before);
    expect(await scratchFiles(small)).toEqual([]);
    expect(await listAll(small, key)).toEqual([]);
  });

  it('a file just under the limit is accepted', async () => {
    const png = await images.noisePng(1.9 * 1024 * 1024);
    expect(png.length).toBeLessThan(2 * 1024 * 1024);
    const body = await uploaded(small, png, { key });
    expect(body.filesize).toBe(png.length);
  });
});
