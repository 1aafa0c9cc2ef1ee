// The rendition limits across two API processes on one PostgreSQL, one Redis and one S3 (scale-out profile).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../src/store/postgres-store.ts';
import type { Store } from '../src/store/store.ts';
import { TEST_PROFILE, TEST_REDIS_URL } from './support/databases.ts';
import { startS3rver } from './support/fake-s3.ts';
import * as images from './support/images.ts';
import { uploadForm } from './support/media-fixtures.ts';
import { createPostgresDatabase } from './support/postgres.ts';
import { type LightboxProcess, startLightboxProcess } from './support/processes.ts';
import { deleteRedisPrefix } from './support/redis.ts';

describe.skipIf(TEST_PROFILE !== 'scale-out')('scale-out: rendition limits across two API processes', () => {
  const prefix = `lbtest:${randomBytes(6).toString('hex')}:`;
  let pg: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let apiA: LightboxProcess;
  let apiB: LightboxProcess;
  let store: Store;

  beforeAll(async () => {
    [pg, s3] = await Promise.all([createPostgresDatabase(), startS3rver('lightbox-test')]);
    const env = {
      LIGHTBOX_DATABASE_URL: pg.url,
      LIGHTBOX_REDIS_URL: TEST_REDIS_URL,
      LIGHTBOX_REDIS_PREFIX: prefix,
      LIGHTBOX_S3_BUCKET: 'lightbox-test',
      LIGHTBOX_S3_ENDPOINT: s3.endpoint,
      LIGHTBOX_S3_ACCESS_KEY_ID: 'S3RVER',
      LIGHTBOX_S3_SECRET_ACCESS_KEY: 'S3RVER',
      LIGHTBOX_S3_FORCE_PATH_STYLE: '1',
      LIGHTBOX_SECRET: randomBytes(32).toString('hex'),
      LIGHTBOX_TRUSTED_PROXIES: '127.0.0.1',
      LIGHTBOX_RENDITIONS_PER_MEDIA: '5',
      LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE: '4',
    };
    const dir = (n: string) => `/tmp/lightbox-rl-${n}-${prefix.slice(7, 19)}`;
    apiA = await startLightboxProcess('all', { ...env, LIGHTBOX_DATA_DIR: dir('a') });
    apiB = await startLightboxProcess('api', { ...env, LIGHTBOX_DATA_DIR: dir('b') });
    store = await openPostgresStore(pg.url);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([apiA?.stop(), apiB?.stop()]);
    await store?.close();
    await Promise.all([pg?.drop(), s3?.close()]);
    await deleteRedisPrefix(TEST_REDIS_URL, prefix);
  }, 60_000);

  async function upload(): Promise<{ id: string; src: string }> {
    const response = await fetch(`${apiA.url}/v1/upload`, {
      method: 'POST',
      body: uploadForm(await images.jpeg(160, 120)),
      headers: { 'x-forwarded-for': `192.0.2.${Math.floor(Math.random() * 250)}` },
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; src: string };
  }
  const path = (media: { src: string }, query: string) =>
    `${new URL(media.src).pathname.replace(/\.[a-z]+$/, '.webp')}?${query}`;

  it('one client gets LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE misses in total across both processes (Redis)', async () => {
    const media = await upload();
    const statuses: string[] = [];
    for (let i = 0; i < 10; i++) {
      const base = i % 2 ? apiA.url : apiB.url;
      const response = await fetch(`${base}${path(media, `w=${40 + i}`)}`, {
        headers: { 'x-forwarded-for': '203.0.113.50' },
      });
      await response.arrayBuffer();
      statuses.push(
        response.status === 200
          ? (response.headers.get('x-rendition-substitute') ?? 'exact')
          : String(response.status),
      );
      if (response.status === 429)
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(statuses.filter((s) => s === 'exact')).toHaveLength(4);
    expect(statuses.every((s) => ['exact', 'client-rate', '429'].includes(s))).toBe(true);
  });

  it('the per-media cap holds when 30 distinct renditions race over both processes (PostgreSQL)', async () => {
    const media = await upload();
    const responses = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const base = i % 2 ? apiA.url : apiB.url;
        // Distinct clients: the per-IP rate is not what this measures.
        const response = await fetch(`${base}${path(media, `w=${30 + i}`)}`, {
          headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
        });
        await response.arrayBuffer();
        return response;
      }),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const exact = responses.filter((r) => r.headers.get('x-rendition-substitute') === null);
    expect(exact.length).toBeLessThanOrEqual(5);
    const rows = await store.db
      .selectFrom('rendition_cache')
      .select('counted')
      .where('media_id', '=', media.id)
      .execute();
    expect(rows.filter((r) => Number(r.counted) === 1).length).toBeLessThanOrEqual(5);
    const count = await store.db
      .selectFrom('rendition_counts')
      .select('count')
      .where('media_id', '=', media.id)
      .executeTakeFirst();
    expect(Number(count?.count ?? 0)).toBeLessThanOrEqual(5);
  });
});
