// Item processing (docs/api.md §3.4): real downloads from a loopback "internet" through the safe fetcher, the built-in
// pipeline, results stored as media, credits consumed per completed item and released per failed one, and every
// source problem mapped to its item error code without one item holding up another.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharp } from '../src/imaging/sharp-lib.ts';
import {
  batchOf,
  clutteredPhoto,
  createBatch,
  credits,
  type EnhancementView,
  enhancementAccount,
  enhancementSuite,
  HOSTS,
  imageInfo,
  LOOPBACK_SOURCES,
  loadSrc,
  movements,
  postEnhancement,
  productPhoto,
  type SourceServer,
  startSourceServer,
  TERMINAL_STATUSES,
  useStubDns,
  waitForEnhancement,
} from './support/enhancement-fixtures.ts';
import * as images from './support/images.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const MB = 1024 * 1024;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

const books = enhancementSuite();
let server: TestServer;
let sources: SourceServer;
/** `http://photos.example.test:<port>`: the source server by name (resolved by the stub DNS). */
let byName: string;

beforeAll(async () => {
  sources = await startSourceServer();
  const [jpeg, png, webp] = await Promise.all([
    productPhoto('jpeg'),
    productPhoto('png', { seed: 1 }),
    productPhoto('webp', { seed: 2 }),
  ]);
  sources.serve('/product.jpg', jpeg, 'image/jpeg');
  sources.serve('/product.png', png, 'image/png');
  sources.serve('/product.webp', webp, 'image/webp');
  sources.serve('/jpeg-as-png.png', jpeg, 'image/png');
  sources.serve('/notes.txt', 'just some text, not an image\n', 'text/plain');
  sources.serve('/animation.gif', await images.animated('gif', 3, 60, 40), 'image/gif');
  sources.serve('/cluttered.png', await clutteredPhoto(), 'image/png');
  sources.serve('/truncated.jpg', await images.truncatedJpeg(), 'image/jpeg');
  // Just over 10 MB, declared: refused on the header. The same undeclared (chunked): refused while counting.
  const huge = Buffer.concat([jpeg, Buffer.alloc(10 * MB + 1 - jpeg.length, 0xff)]);
  sources.serve('/huge-declared.jpg', huge, 'image/jpeg');
  sources.route('/huge-chunked.jpg', (_request, response) => {
    response.writeHead(200, { 'content-type': 'image/jpeg' });
    for (let at = 0; at < huge.length; at += MB) response.write(huge.subarray(at, at + MB));
    response.end();
  });
  sources.route('/server-error.jpg', (_request, response) => {
    response.writeHead(500, { 'content-type': 'text/plain' });
    response.end('boom');
  });
  // Headers and the first bytes, then nothing: only the 10 s download limit ends it.
  sources.route('/slow.jpg', (_request, response) => {
    response.writeHead(200, { 'content-type': 'image/jpeg' });
    response.write(jpeg.subarray(0, 64));
  });
  server = await startTestServer({ ...LOOPBACK_SOURCES, LIGHTBOX_WORKER_CONCURRENCY: '4' });
  useStubDns(server);
  byName = sources.url.replace('127.0.0.1', HOSTS.photos);
});

afterAll(async () => {
  await server?.close();
  await sources?.close();
});

const src = (path: string) => `${sources.url}${path}`;

describe('completed items', () => {
  it('JPEG, PNG and WebP sources (also by name and through 3 redirects) → results and thumbnails as src JPEGs', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    const body = {
      images: [
        { source_url: src('/product.jpg'), external_id: 'sku-jpeg' },
        { source_url: src('/product.png'), external_id: 'sku-png' },
        { source_url: src('/product.webp') },
        { source_url: `${byName}/product.jpg` },
        { source_url: src('/redirect/3/product.png') },
      ],
    };
    const created = await createBatch(server, key, body);
    expect(created.enhancement.credits_reserved).toBe(25);
    const done = await waitForEnhancement(server, key, created.enhancement.id);

    expect(done).toMatchObject({
      status: 'completed',
      total_items: 5,
      completed_items: 5,
      failed_items: 0,
      credits_reserved: 25,
      credits_used: 25,
    });
    expect(done.completed_at).toMatch(ISO);
    expect(Date.parse(done.completed_at ?? '')).toBeGreaterThanOrEqual(Date.parse(done.created_at));
    const srcPattern = new RegExp(`^${server.url}/src/[A-Za-z0-9_-]{11,}/[A-Za-z0-9]{8}\\.jpg$`);
    for (const [i, item] of done.items.entries()) {
      expect(item).toMatchObject({
        external_id: body.images[i]?.external_id ?? null,
        source_url: body.images[i]?.source_url,
        status: 'completed',
        error_code: null,
        error_message: null,
        credits_reserved: 5,
        credits_used: 5,
      });
      expect(item.result_url).toMatch(srcPattern);
      expect(item.thumbnail_url).toMatch(srcPattern);
      expect(item.thumbnail_url).not.toBe(item.result_url);
      const result = await imageInfo(await loadSrc(item.result_url ?? ''));
      expect(result).toEqual({ format: 'jpeg', width: 1000, height: 1000 });
      const thumbnail = await imageInfo(await loadSrc(item.thumbnail_url ?? ''));
      expect(thumbnail).toEqual({ format: 'jpeg', width: 400, height: 400 });
    }

    // The result is the product on pure white: the corners are RGB 255.
    const first = await loadSrc(done.items[0]?.result_url ?? '', 'image/jpeg');
    const { data, info } = await sharp(first).raw().toBuffer({ resolveWithObject: true });
    for (const at of [0, (info.width - 1) * info.channels, data.length - info.channels]) {
      expect([data[at], data[at + 1], data[at + 2]]).toEqual([255, 255, 255]);
    }

    // The result is a media object of the account, with the full delivery features.
    const mediaId = /\/([A-Za-z0-9]{8})\.jpg$/.exec(done.items[0]?.result_url ?? '')?.[1];
    const media = await server.request('GET', `/v1/media/${mediaId}`, { key });
    expect(media.status, media.text).toBe(200);
    expect(media.body).toMatchObject({ id: mediaId, format: 'jpeg', width: 1000, height: 1000 });
    expect(await imageInfo(await loadSrc(`${done.items[0]?.result_url}?w=200`))).toMatchObject({
      width: 200,
    });

    expect(await movements(server, accountId)).toEqual([
      'reserve:-25',
      'consume:-5',
      'consume:-5',
      'consume:-5',
      'consume:-5',
      'consume:-5',
    ]);
    expect(await credits(server, accountId)).toEqual({
      paid_available: 175,
      paid_reserved: 0,
      lifetime_purchased: 200,
      promotional: 0,
    });
  });

  it('marketplace_clean_catalog → square ≥ 1600 px; the key may start its next batch once this one is done', async () => {
    const { key } = await enhancementAccount(server, books);
    const created = await createBatch(server, key, {
      ...batchOf([src('/product.webp')]),
      preset: 'marketplace_clean_catalog',
    });
    const done = await waitForEnhancement(server, key, created.enhancement.id);
    expect(done.status).toBe('completed');
    const result = await imageInfo(await loadSrc(done.items[0]?.result_url ?? ''));
    expect(result.format).toBe('jpeg');
    expect(result.width).toBe(result.height);
    expect(result.width).toBeGreaterThanOrEqual(1600);
    // The active limit (1 per key) counts only non-terminal batches.
    const next = await postEnhancement(server, key, batchOf([src('/product.jpg')]));
    expect(next.status, next.text).toBe(201);
    await waitForEnhancement(server, key, next.body.enhancement.id);
  });
});

describe('failed items', () => {
  // The two slow tests (a real 10 s download limit; storage retries with backoff) run side by side.
  it.concurrent('every source problem → its item error code, credits released per item, no item waits for another (one real 10 s timeout)', async ({
    expect,
  }) => {
    const { accountId, key } = await enhancementAccount(server, books);
    const cases: [string, string | null][] = [
      [src('/slow.jpg'), 'download_timeout'],
      [src('/product.jpg'), null],
      ['http://10.1.2.3/product.jpg', 'invalid_source_url'],
      [`http://${HOSTS.intranet}/product.jpg`, 'invalid_source_url'],
      [src('/product.jpg').replace('127.0.0.1', '127.0.0.2'), 'invalid_source_url'],
      ['not a url', 'invalid_source_url'],
      [`ftp://${HOSTS.photos}/product.jpg`, 'invalid_source_url'],
      [`http://${HOSTS.missing}/product.jpg`, 'source_url_dns_failed'],
      [src('/missing.jpg'), 'source_url_unreachable'],
      [src('/server-error.jpg'), 'source_url_unreachable'],
      [src('/redirect/4/product.jpg'), 'source_url_redirect_limit'],
      [src('/huge-declared.jpg'), 'file_too_large'],
      [src('/huge-chunked.jpg'), 'file_too_large'],
      [src('/notes.txt'), 'unsupported_file_type'],
      [src('/jpeg-as-png.png'), 'unsupported_file_type'],
      [src('/animation.gif'), 'unsupported_file_type'],
      [src('/truncated.jpg'), 'unsupported_file_type'],
      [src('/cluttered.png'), 'provider_error'],
      [src('/product.png'), null],
    ];
    const slowHit = sources.waitForHits('/slow.jpg').then(() => Date.now());
    const created = await createBatch(server, key, batchOf(cases.map(([url]) => url)));
    const id = created.enhancement.id;
    expect(created.enhancement.credits_reserved).toBe(5 * cases.length);

    // Everything but the stalled download finishes while it is still stalled.
    const othersDone = (e: EnhancementView) =>
      e.items.slice(1).every((item) => TERMINAL_STATUSES.includes(item.status));
    const meanwhile = await waitForEnhancement(server, key, id, { done: othersDone, timeoutMs: 15_000 });
    const stalledSince = await slowHit;
    expect(meanwhile.items[0]?.status).toBe('processing');
    expect(meanwhile.status).toBe('processing');
    expect(Date.now() - stalledSince).toBeLessThan(9_000);

    const done = await waitForEnhancement(server, key, id, { timeoutMs: 20_000 });
    const timedOutAfter = Date.now() - stalledSince;
    expect(timedOutAfter).toBeGreaterThanOrEqual(9_500);

    expect(done.items.map((item) => item.error_code)).toEqual(cases.map(([, code]) => code));
    for (const item of done.items) {
      if (item.error_code === null) {
        expect(item).toMatchObject({ status: 'completed', credits_used: 5 });
        expect(item.result_url).not.toBeNull();
        continue;
      }
      expect(item).toMatchObject({
        status: 'failed',
        result_url: null,
        thumbnail_url: null,
        credits_used: 0,
      });
      expect(typeof item.error_message).toBe('string');
      expect(item.error_message?.length).toBeGreaterThan(0);
      // Messages are for the API user: never an address that DNS supplied, never a stack.
      expect(item.error_message).not.toMatch(/10\.20\.30\.40|\n\s+at /);
    }
    // A source problem is the same on every attempt: nothing was retried.
    const attempts = await server.services.store.db
      .selectFrom('enhancement_items')
      .select('attempts')
      .where('enhancement_id', '=', id)
      .execute();
    expect(attempts.map((a) => Number(a.attempts))).toEqual(cases.map(() => 1));
    const completed = cases.filter(([, code]) => code === null).length;
    const failed = cases.length - completed;
    expect(done).toMatchObject({
      status: 'partially_completed',
      completed_items: completed,
      failed_items: failed,
      credits_reserved: 5 * cases.length,
      credits_used: 5 * completed,
    });
    const moves = await movements(server, accountId, id);
    expect(moves[0]).toBe(`reserve:-${5 * cases.length}`);
    expect(moves.filter((m) => m === 'consume:-5')).toHaveLength(completed);
    expect(moves.filter((m) => m === 'release:5')).toHaveLength(failed);
    expect(moves).toHaveLength(1 + cases.length);
    expect(await credits(server, accountId)).toMatchObject({
      paid_available: 200 - 5 * completed,
      paid_reserved: 0,
    });
  });

  it.concurrent('the blob store failing → storage_error after the retries, its credits released; other batches are unaffected', async ({
    expect,
  }) => {
    const broken = await enhancementAccount(server, books);
    const healthy = await enhancementAccount(server, books);
    const blobs = server.services.blobs;
    const put = blobs.put;
    let refused = 0;
    // Only the marketplace results (1600 px wide) fail to store: the other batch runs at the same time.
    blobs.put = async (key, source, options) => {
      if (Buffer.isBuffer(source) && (await sharp(source).metadata()).width === 1600) {
        refused++;
        throw new Error('EIO: disk failure');
      }
      return put.call(blobs, key, source, options);
    };
    try {
      const failing = await createBatch(server, broken.key, {
        ...batchOf([src('/product.jpg')]),
        preset: 'marketplace_clean_catalog',
      });
      const fine = await createBatch(server, healthy.key, batchOf([src('/product.png')]));
      expect((await waitForEnhancement(server, healthy.key, fine.enhancement.id)).status).toBe('completed');
      const done = await waitForEnhancement(server, broken.key, failing.enhancement.id, {
        timeoutMs: 25_000,
      });
      expect(done).toMatchObject({ status: 'failed', failed_items: 1, credits_used: 0 });
      expect(done.items[0]).toMatchObject({
        status: 'failed',
        error_code: 'storage_error',
        result_url: null,
      });
      expect(done.items[0]?.error_message).not.toMatch(/EIO/);
      expect(refused).toBeGreaterThan(1);
    } finally {
      blobs.put = put;
    }
    expect(await movements(server, broken.accountId)).toEqual(['reserve:-5', 'release:5']);
    expect(await movements(server, healthy.accountId)).toEqual(['reserve:-5', 'consume:-5']);
  });

  it('only failures → status failed, every credit back', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    const created = await createBatch(
      server,
      key,
      batchOf([src('/missing.jpg'), src('/notes.txt'), src('/cluttered.png')]),
    );
    const done = await waitForEnhancement(server, key, created.enhancement.id);
    expect(done).toMatchObject({ status: 'failed', completed_items: 0, failed_items: 3, credits_used: 0 });
    expect(done.completed_at).toMatch(ISO);
    expect(await movements(server, accountId)).toEqual([
      'reserve:-15',
      'release:5',
      'release:5',
      'release:5',
    ]);
    expect(await credits(server, accountId)).toMatchObject({ paid_available: 200, paid_reserved: 0 });
  });
});
