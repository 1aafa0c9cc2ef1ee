// Pyramid levels (src/imaging/pyramid.ts): built after upload by a job, used by uncached lossy renditions of
// large stills, removed with the media.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { photoLike } from '../src/imaging/testing/fixtures.ts';
import { vipsLevelHeader } from '../src/imaging/vips-level.ts';
import { PYRAMID_JOB, pyramidHandlers } from '../src/media/pyramid-job.ts';
import { eventually } from './support/eventually.ts';
import * as images from './support/images.ts';
import {
  blobsUnder,
  type Keyed,
  keyedAccount,
  type MediaBody,
  mediaRow,
  uploaded,
} from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let owner: Keyed;
/** 2400×1800 (4.3 MP): two levels, 1200×900 and 600×450. */
let big: Buffer;

beforeAll(async () => {
  server = await startTestServer();
  owner = await keyedAccount(server, { verified: true });
  big = await photoLike(2400, 1800, 3);
});

afterAll(async () => {
  await server?.close();
});

const variant = (media: MediaBody, ext: string, query = ''): string =>
  `${media.src.replace(/\.[a-z]+$/, `.${ext}`)}${query ? `?${query}` : ''}`;

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

const levelsOf = async (target: TestServer, id: string) => (await mediaRow(target, id))?.levels ?? -1;

describe('pyramid levels', () => {
  it('a large still gets its levels after upload, and lossy renditions are computed from the smallest that covers them', async () => {
    const media = await uploaded(server, big, { key: owner.key });
    expect(
      await eventually(
        () => levelsOf(server, media.id),
        (n) => n === 2,
      ),
    ).toBe(2);
    // Both levels are under 2 MP: stored uncompressed (src/imaging/vips-level.ts).
    expect((await blobsUnder(server, `renditions/${media.id}`)).sort()).toEqual([
      'level-1.vips',
      'level-2.vips',
    ]);
    for (const [level, expected] of [
      ['level-1.vips', [1200, 900, 3]],
      ['level-2.vips', [600, 450, 3]],
    ] as const) {
      const bytes = await server.services.blobs.getBuffer(`renditions/${media.id}/${level}`);
      const header = vipsLevelHeader(bytes ?? Buffer.alloc(0), bytes?.length ?? 0);
      expect(header && [header.width, header.height, header.channels]).toEqual(expected);
    }

    const m = await get(variant(media, 'webp', 'size=m'));
    expect(m.status).toBe(200);
    expect(await sharp(m.body).metadata()).toMatchObject({ format: 'webp', width: 853, height: 640 });
    const s = await get(variant(media, 'jpg', 'size=s'));
    expect(await sharp(s.body).metadata()).toMatchObject({ format: 'jpeg', width: 427, height: 320 });
    // Lossless output and the unresized original read the original.
    const png = await get(variant(media, 'png', 'size=s'));
    expect(await sharp(png.body).metadata()).toMatchObject({ format: 'png', width: 427, height: 320 });
    expect((await get(media.src)).status).toBe(200);

    const files = await eventually(
      () => blobsUnder(server, `renditions/${media.id}`),
      (names) => names.length === 6,
    );
    expect(files.sort()).toEqual([
      'l1-m.webp',
      'l2-s.jpeg',
      'level-1.vips',
      'level-2.vips',
      'original.jpeg',
      's.png',
    ]);
  });

  it('a rendition asked for before the levels exist comes from the original; afterwards another key and ETag', async () => {
    const idle = await startTestServer({}, { worker: false });
    try {
      const account = await keyedAccount(idle, { verified: true });
      const media = await uploaded(idle, big, { key: account.key });
      const before = await get(variant(media, 'jpg', 'size=m'));
      expect(before.status).toBe(200);
      expect(await levelsOf(idle, media.id)).toBe(0);

      // What the worker runs for the job the upload queued.
      await runPyramidJob(idle, media.id);
      expect(await levelsOf(idle, media.id)).toBe(2);
      const after = await get(variant(media, 'jpg', 'size=m'));
      expect(after.status).toBe(200);
      expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
      expect(await sharp(after.body).metadata()).toMatchObject({ width: 853, height: 640 });
      expect(
        (await get(variant(media, 'jpg', 'size=m'), { 'if-none-match': before.headers.get('etag') ?? '' }))
          .status,
      ).toBe(200);
      const names = await eventually(
        () => blobsUnder(idle, `renditions/${media.id}`),
        (list) => list.includes('l1-m.jpeg') && list.includes('m.jpeg'),
      );
      expect(names).toEqual(expect.arrayContaining(['m.jpeg', 'l1-m.jpeg', 'level-1.vips', 'level-2.vips']));
    } finally {
      await idle.close();
    }
  });

  it('a level that cannot be read falls back to the original', async () => {
    const media = await uploaded(server, big, { key: owner.key });
    await eventually(
      () => levelsOf(server, media.id),
      (n) => n === 2,
    );
    const key = `renditions/${media.id}/level-1.vips`;
    const whole = (await server.services.blobs.getBuffer(key)) ?? Buffer.alloc(0);
    // size=m needs 853×640: level 1 (1200×900) covers it. Garbage, then a level cut short.
    for (const [query, broken] of [
      ['size=m', Buffer.from('not a level')],
      ['size=m&q=70', whole.subarray(0, whole.length - 100)],
    ] as const) {
      await server.services.blobs.put(key, broken);
      const response = await get(variant(media, 'jpg', query));
      expect(response.status).toBe(200);
      expect(await sharp(response.body).metadata()).toMatchObject({ width: 853, height: 640 });
    }
  });

  it('deleting the media removes its levels; a job for deleted media leaves nothing behind', async () => {
    const media = await uploaded(server, big, { key: owner.key });
    await eventually(
      () => levelsOf(server, media.id),
      (n) => n === 2,
    );
    expect((await server.request('DELETE', `/v1/media/${media.id}`, { key: owner.key })).status).toBe(200);
    expect(
      await eventually(
        () => blobsUnder(server, `renditions/${media.id}`),
        (n) => n.length === 0,
      ),
    ).toEqual([]);

    const idle = await startTestServer({}, { worker: false });
    try {
      const account = await keyedAccount(idle, { verified: true });
      const gone = await uploaded(idle, big, { key: account.key });
      expect((await idle.request('DELETE', `/v1/media/${gone.id}`, { key: account.key })).status).toBe(200);
      await runPyramidJob(idle, gone.id);
      expect(await blobsUnder(idle, `renditions/${gone.id}`)).toEqual([]);
    } finally {
      await idle.close();
    }
  });

  it('media stored before pyramids existed get their levels on the first miss that would use one', async () => {
    const media = await uploaded(server, big, { key: owner.key });
    await eventually(
      () => levelsOf(server, media.id),
      (n) => n === 2,
    );
    // Back to how a media row looked before this feature: no levels, no job.
    await server.services.store.db
      .updateTable('media')
      .set({ levels: 0 })
      .where('id', '=', media.id)
      .execute();
    for (const level of ['level-1.vips', 'level-2.vips']) {
      await server.services.blobs.delete(`renditions/${media.id}/${level}`);
    }
    server.services.mediaChanges.notify(media.id);

    // A lossless miss would never use a level: it asks for nothing.
    expect((await get(variant(media, 'png', 'size=s'))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await levelsOf(server, media.id)).toBe(0);

    const first = await get(variant(media, 'jpg', 'size=m'));
    expect(first.status).toBe(200);
    expect(
      await eventually(
        () => levelsOf(server, media.id),
        (n) => n === 2,
      ),
    ).toBe(2);
    // The rendition reaches the cache after its answer, in the background: wait for it too.
    const wanted = ['level-1.vips', 'level-2.vips', 'm.jpeg'];
    expect(
      await eventually(
        () => blobsUnder(server, `renditions/${media.id}`),
        (names) => wanted.every((name) => names.includes(name)),
      ),
    ).toEqual(expect.arrayContaining(wanted));
  });

  it('a rebuilt pyramid replaces the JPEG levels of an earlier release with uncompressed ones', async () => {
    const idle = await startTestServer({}, { worker: false });
    try {
      const account = await keyedAccount(idle, { verified: true });
      const media = await uploaded(idle, big, { key: account.key });
      // As migration 0015 leaves a media whose levels were JPEG: levels unbuilt, the old blobs still there.
      for (const level of ['level-1.jpeg', 'level-2.jpeg']) {
        await idle.services.blobs.put(`renditions/${media.id}/${level}`, await sharp(big).jpeg().toBuffer());
      }
      await runPyramidJob(idle, media.id);
      expect(await levelsOf(idle, media.id)).toBe(2);
      expect((await blobsUnder(idle, `renditions/${media.id}`)).sort()).toEqual([
        'level-1.vips',
        'level-2.vips',
      ]);
    } finally {
      await idle.close();
    }
  });

  it('a greyscale still keeps one channel through its uncompressed levels', async () => {
    const grey = await sharp(big).toColorspace('b-w').jpeg().toBuffer();
    const media = await uploaded(server, grey, { key: owner.key });
    await eventually(
      () => levelsOf(server, media.id),
      (n) => n === 2,
    );
    const bytes = await server.services.blobs.getBuffer(`renditions/${media.id}/level-1.vips`);
    expect(vipsLevelHeader(bytes ?? Buffer.alloc(0), bytes?.length ?? 0)).toEqual({
      width: 1200,
      height: 900,
      channels: 1,
    });
    const m = await get(variant(media, 'jpg', 'size=m'));
    expect(m.status).toBe(200);
    expect(await sharp(m.body).metadata()).toMatchObject({ width: 853, height: 640, channels: 1 });
    const names = await eventually(
      () => blobsUnder(server, `renditions/${media.id}`),
      (list) => list.includes('l1-m.jpeg'),
    );
    expect(names).toContain('l1-m.jpeg');
  });

  it('private media: levels do not open its src without the token', async () => {
    const media = await uploaded(server, big, { key: owner.key, fields: { public: 'false' } });
    await eventually(
      () => levelsOf(server, media.id),
      (n) => n === 2,
    );
    const wrongToken = variant(media, 'jpg', 'size=m').replace(/\/[^/]+\/([^/]+)$/, '/AAAAAAAAAAAA/$1');
    expect((await get(wrongToken)).status).toBe(404);
    expect((await get(variant(media, 'jpg', 'size=m'))).status).toBe(200);
  });

  it('small images, animations and images with transparency get no levels', async () => {
    const small = await uploaded(server, await images.jpeg(1600, 1200), { key: owner.key });
    const alpha = await uploaded(server, await sharp(big).ensureAlpha(0.5).png().toBuffer(), {
      key: owner.key,
    });
    const animation = await uploaded(server, await images.animated('gif', 3, 2400, 1800), { key: owner.key });
    for (const media of [small, alpha, animation]) {
      await runPyramidJob(server, media.id);
      expect(await blobsUnder(server, `renditions/${media.id}`)).toEqual([]);
    }
    // Transparency is settled at upload; small images and animations never qualify.
    expect(await levelsOf(server, alpha.id)).toBe(-1);
    expect(await levelsOf(server, small.id)).toBe(0);
    // (A GIF declares transparency, so it is settled like the PNG; either way it never gets levels.)
    expect(await levelsOf(server, animation.id)).toBeLessThanOrEqual(0);
    // Asking for renditions does not queue anything for them either.
    for (const media of [small, alpha, animation])
      expect((await get(variant(media, 'webp', 'size=s'))).status).toBe(200);
    expect(
      (await blobsUnder(server, `renditions/${alpha.id}`)).filter((n) => n.startsWith('level-')),
    ).toEqual([]);
  });
});

/** The pyramid job's handler, run here as a worker would run it. */
async function runPyramidJob(target: TestServer, id: string): Promise<void> {
  const job = pyramidHandlers(target.services)[PYRAMID_JOB.name];
  await job.handle(
    { media_id: id },
    {
      jobId: `test-${id}`,
      attempt: 1,
      maxAttempts: 1,
      signal: new AbortController().signal,
    },
  );
}
