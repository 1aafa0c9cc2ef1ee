// Issue 13: rendition amplification and the unbounded rendition cache, through the HTTP API on a real server.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { signedSrcUrl, srcSigningKey } from '../src/media/media-urls.ts';
import { TEST_PROFILE } from './support/databases.ts';
import * as images from './support/images.ts';
import { blobsUnder, dataPath, keyedAccount, type MediaBody, uploaded } from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

interface Got {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Got> {
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

const variant = (media: MediaBody, ext: string, query = ''): string =>
  `${media.src.replace(/\.[a-z]+$/, `.${ext}`)}${query ? `?${query}` : ''}`;

/** `src` URLs name the public base; tests talk to the server's own address. */
const local = (server: TestServer, url: string): string => {
  const parsed = new URL(url);
  return `${server.url}${parsed.pathname}${parsed.search}`;
};

const dims = async (bytes: Buffer) => {
  const meta = await sharp(bytes, { animated: true }).metadata();
  return { width: meta.width, height: meta.pageHeight ?? meta.height, frames: meta.pages ?? 1 };
};

async function countedRows(server: TestServer, mediaId: string): Promise<number> {
  const rows = await server.services.store.db
    .selectFrom('rendition_cache')
    .select('counted')
    .where('media_id', '=', mediaId)
    .execute();
  return rows.filter((r) => Number(r.counted) === 1).length;
}

describe('bounded image work (cost model before decoding)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE: '1000' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a 1000-frame GIF padded to 8192×8192 is served scaled down within the animation budget, quickly', async () => {
    const gif = await images.animated('gif', 1000, 16, 16);
    const media = await uploaded(server, gif);
    const started = Date.now();
    const response = await get(local(server, variant(media, 'gif', 'w=8192&h=8192&fit=pad')));
    const elapsed = Date.now() - started;
    expect(response.status).toBe(200);
    const { width, height, frames } = await dims(response.body);
    expect(frames).toBe(1000);
    expect(width).toBe(height);
    // Frames × pixels within the 32 MP animation budget (was 1000 × 8192² = 67 GP of work).
    expect((width ?? 0) * (height ?? 0) * frames).toBeLessThanOrEqual(32_000_000);
    expect(width).toBeGreaterThan(100);
    expect(elapsed).toBeLessThan(20_000);
    expect(server.services.renditionStats.bounded).toBeGreaterThan(0);
  });

  it('a tiny PNG as AVIF padded to 8192×8192 is served at the largest size within the AVIF budget', async () => {
    const media = await uploaded(server, await images.png(10, 10));
    const started = Date.now();
    const response = await get(local(server, variant(media, 'png', 'format=avif&w=8192&h=8192&fit=pad')));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/avif');
    const { width, height } = await dims(response.body);
    expect(width).toBe(height);
    expect((width ?? 0) * (height ?? 0)).toBeLessThanOrEqual(8_000_000);
    expect(width).toBeGreaterThan(2000);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('realistic sizes render exactly as requested: 4000×3000 → 2000 px WebP, 1600 px AVIF', async () => {
    const media = await uploaded(server, await images.jpeg(4000, 3000));
    const webp = await get(local(server, variant(media, 'webp', 'w=2000')));
    expect(webp.status).toBe(200);
    expect(await dims(webp.body)).toMatchObject({ width: 2000, height: 1500 });
    expect(webp.headers.get('cache-control')).toContain('immutable');
    const avif = await get(local(server, variant(media, 'avif', 'w=1600')));
    expect(avif.status).toBe(200);
    expect(await dims(avif.body)).toMatchObject({ width: 1600, height: 1200 });
    const large = await get(local(server, variant(media, 'jpg', 'size=l')));
    expect(await dims(large.body)).toMatchObject({ width: 1440, height: 1080 });
  });

  // The fault is made on the local disk (the stored original overwritten with junk after its upload passed).
  it.skipIf(TEST_PROFILE === 'scale-out')(
    'a failing rendition is remembered: its repeat is answered at once from the negative cache',
    async () => {
      const media = await uploaded(server, await images.png(60, 40));
      await writeFile(dataPath(server, 'blobs', 'originals', media.id), randomBytes(400));
      const stats = server.services.renditionStats;
      const computed = stats.computed;
      const negative = stats.negativeHits;
      expect((await get(local(server, variant(media, 'webp', 'w=30')))).status).toBe(404);
      expect(stats.computed).toBe(computed + 1);
      for (let i = 0; i < 5; i++)
        expect((await get(local(server, variant(media, 'webp', 'w=30')))).status).toBe(404);
      expect(stats.computed).toBe(computed + 1);
      expect(stats.negativeHits).toBe(negative + 5);
      // The failed rendition gave its slot back.
      expect(await countedRows(server, media.id)).toBe(0);
    },
  );
});

describe('bounded renditions per media, cache size and client rate', () => {
  it('300 distinct renditions of one image add at most LIGHTBOX_RENDITIONS_PER_MEDIA entries; presets still allowed', async () => {
    const server = await startTestServer({
      LIGHTBOX_RENDITIONS_PER_MEDIA: '20',
      LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE: '100000',
    });
    try {
      const media = await uploaded(server, await images.jpeg(120, 90));
      const statuses = new Map<string, number>();
      for (let i = 0; i < 300; i++) {
        const query = i % 2 ? `w=${20 + i}` : `w=${20 + i}&q=${(i % 90) + 5}`;
        const response = await get(local(server, variant(media, 'webp', query)));
        expect(response.status).toBe(200);
        const reason = response.headers.get('x-rendition-substitute') ?? 'exact';
        statuses.set(reason, (statuses.get(reason) ?? 0) + 1);
      }
      expect(statuses.get('exact')).toBe(20);
      expect(statuses.get('per-media-cap')).toBe(280);
      expect(await countedRows(server, media.id)).toBe(20);
      const blobs = await blobsUnder(server, `renditions/${media.id}`);
      expect(blobs.length).toBeLessThanOrEqual(20);
      // Presets and the original are always allowed, and cached.
      for (const query of ['size=s', 'size=m', 'size=l', 'size=social']) {
        const response = await get(local(server, variant(media, 'webp', query)));
        expect(response.status).toBe(200);
        expect(response.headers.get('x-rendition-substitute')).toBeNull();
      }
      expect((await get(local(server, media.src))).status).toBe(200);
      await eventuallyBlobs(server, media.id, 25);
      // Deleting the media drops its rows with it.
      const { key } = await keyedAccount(server, { verified: true });
      const owned = await uploaded(server, await images.jpeg(50, 40), { key });
      expect((await get(local(server, variant(owned, 'webp', 'w=33')))).status).toBe(200);
      await eventuallyRows(server, owned.id, 1);
      expect((await server.request('DELETE', `/v1/media/${owned.id}`, { key })).status).toBeLessThan(300);
      expect(await countedRows(server, owned.id)).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('past LIGHTBOX_RENDITION_CACHE_MB the least recently used renditions are evicted; originals stay', async () => {
    const server = await startTestServer({
      LIGHTBOX_RENDITION_CACHE_MB: '1',
      LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE: '100000',
    });
    try {
      const noise = await sharp(randomBytes(700 * 700 * 3), { raw: { width: 700, height: 700, channels: 3 } })
        .png({ compressionLevel: 1 })
        .toBuffer();
      const media = await uploaded(server, noise);
      const key = (w: number) => `renditions/${media.id}/w${w}-h0-scale-down.png`;
      const A = await get(local(server, variant(media, 'png', 'w=420')));
      expect(A.status).toBe(200);
      expect(A.body.length).toBeGreaterThan(400_000);
      await eventuallyRows(server, media.id, 1);
      expect((await get(local(server, variant(media, 'png', 'w=421')))).status).toBe(200);
      await eventuallyRows(server, media.id, 2);
      // A is used again: B is now the least recently used.
      await new Promise((r) => setTimeout(r, 5));
      expect((await get(local(server, variant(media, 'png', 'w=420')))).status).toBe(200);
      expect((await get(local(server, variant(media, 'png', 'w=422')))).status).toBe(200);
      const deadline = Date.now() + 10_000;
      while (server.services.renditionStats.evicted === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(server.services.renditionStats.evicted).toBeGreaterThan(0);
      const stored = new Set(await server.services.blobs.list(`renditions/${media.id}/`));
      expect(stored.has(key(421))).toBe(false);
      expect(stored.has(key(420))).toBe(true);
      expect(stored.has(key(422))).toBe(true);
      const total = await server.services.store.db
        .selectFrom('rendition_totals')
        .select('bytes')
        .executeTakeFirstOrThrow();
      expect(Number(total.bytes)).toBeLessThanOrEqual(1024 * 1024);
      expect(await server.services.blobs.stat(`originals/${media.id}`)).toBeTruthy();
      // An evicted rendition is simply computed again.
      expect((await get(local(server, variant(media, 'png', 'w=421')))).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('a client past LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE gets the nearest cached rendition, else 429 with Retry-After', async () => {
    const server = await startTestServer({ LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE: '3' });
    try {
      const media = await uploaded(server, await images.jpeg(200, 150));
      for (const w of [50, 60, 70]) {
        const response = await get(local(server, variant(media, 'webp', `w=${w}`)));
        expect(response.status).toBe(200);
        expect(response.headers.get('x-rendition-substitute')).toBeNull();
      }
      await eventuallyRows(server, media.id, 3);
      const instead = await get(local(server, variant(media, 'webp', 'w=80')));
      expect(instead.status).toBe(200);
      expect(instead.headers.get('x-rendition-substitute')).toBe('client-rate');
      expect(instead.headers.get('cache-control')).toBe('public, max-age=60');
      expect((await dims(instead.body)).width).toBe(70);
      // Cache hits are free.
      expect((await get(local(server, variant(media, 'webp', 'w=50')))).status).toBe(200);
      // Nothing cached to stand in: 429.
      const other = await uploaded(server, await images.jpeg(200, 150));
      const refused = await get(local(server, variant(other, 'webp', 'w=90')));
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.body.toString()).toBe('Too many requests. Try again later.');
      // Presets and the original are not rate-limited.
      expect((await get(local(server, variant(other, 'webp', 'size=s')))).status).toBe(200);
      expect((await get(local(server, other.src))).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('signed transforms (LIGHTBOX_SIGNED_TRANSFORMS)', () => {
  it('on: only signed URLs may carry w/h/q/fit; unsigned ones get the nearest preset; presets stay open', async () => {
    const server = await startTestServer({ LIGHTBOX_SIGNED_TRANSFORMS: '1' });
    try {
      const media = await uploaded(server, await images.jpeg(1200, 900));
      const unsigned = await get(local(server, variant(media, 'webp', 'w=300')));
      expect(unsigned.status).toBe(200);
      expect(unsigned.headers.get('x-rendition-substitute')).toBe('unsigned');
      expect(await dims(unsigned.body)).toMatchObject({ width: 427, height: 320 });
      const signingKey = srcSigningKey(server.services.secrets.secret);
      const token = new URL(media.src).pathname.split('/').at(-2) ?? '';
      const signed = signedSrcUrl(
        server.services.config.srcBase,
        { id: media.id, token },
        'webp',
        'w=300&q=70',
        signingKey,
      );
      const exact = await get(local(server, signed));
      expect(exact.status).toBe(200);
      expect(exact.headers.get('x-rendition-substitute')).toBeNull();
      expect(await dims(exact.body)).toMatchObject({ width: 300, height: 225 });
      const tampered = await get(local(server, signed.replace('w=300', 'w=301')));
      expect(tampered.headers.get('x-rendition-substitute')).toBe('unsigned');
      const preset = await get(local(server, variant(media, 'webp', 'size=m')));
      expect(preset.status).toBe(200);
      expect(preset.headers.get('x-rendition-substitute')).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('off (the default): transforms need no signature', async () => {
    const server = await startTestServer();
    try {
      const media = await uploaded(server, await images.jpeg(400, 300));
      const response = await get(local(server, variant(media, 'webp', 'w=300')));
      expect(response.headers.get('x-rendition-substitute')).toBeNull();
      expect(await dims(response.body)).toMatchObject({ width: 300 });
    } finally {
      await server.close();
    }
  });
});

async function eventuallyRows(server: TestServer, mediaId: string, completed: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await server.services.store.db
      .selectFrom('rendition_cache')
      .select('bytes')
      .where('media_id', '=', mediaId)
      .execute();
    if (rows.filter((r) => Number(r.bytes) > 0).length >= completed) return;
    if (Date.now() > deadline) throw new Error(`rows of ${mediaId}: ${rows.length}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function eventuallyBlobs(server: TestServer, mediaId: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const blobs = await blobsUnder(server, `renditions/${mediaId}`);
    if (blobs.length >= count) return;
    if (Date.now() > deadline) throw new Error(`blobs: ${blobs.join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
