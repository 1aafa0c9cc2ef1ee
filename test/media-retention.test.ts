import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../src/lib/time.ts';
import { announceBlob, newMediaId, originalKey, UPLOAD_GRACE_MS } from '../src/media/media-repo.ts';
import { sweepRetention } from '../src/media/retention-sweeper.ts';
import { patchAccount } from './support/fixtures.ts';
import * as images from './support/images.ts';
import {
  blobsUnder,
  expectHostingError,
  fakeRendition,
  keyedAccount,
  mediaRow,
  scratchFiles,
  storedOriginals,
  upload,
  uploaded,
  usage,
} from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;

beforeAll(async () => {
  // 1 MB of storage on free, so an upload can fail after its original was written (storage is charged then).
  server = await startTestServer({ LIGHTBOX_PLANS: 'free:100:1:Free,pro:1000:100:Pro' });
});

afterAll(async () => {
  await server?.close();
});

const db = () => server.services.store.db;
const garbage = () => db().selectFrom('blob_garbage').selectAll().execute();
const renditionsOf = (id: string) => blobsUnder(server, `renditions/${id}`);

/** The invariant the crash-safety design promises: no media row points at a missing blob. */
async function expectEveryRowHasItsBlob() {
  const rows = await db().selectFrom('media').select(['id', 'blob_key', 'filesize']).execute();
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    const stat = await server.services.blobs.stat(row.blob_key);
    expect(stat, `blob of media ${row.id}`).not.toBeNull();
    expect(stat?.size).toBe(Number(row.filesize));
  }
}

describe('expiry', () => {
  it('a ttl’d media is deleted by the sweep once due: row, original and renditions; others stay', async () => {
    const { key } = await keyedAccount(server, { verified: true });
    const brief = await uploaded(server, await images.png(), { key, fields: { ttl: '5m' } });
    const lasting = await uploaded(server, await images.png(), { key });
    await fakeRendition(server, brief.id, ['w640/x.webp']);
    await fakeRendition(server, lasting.id, ['w640/x.webp']);

    // Not yet due: nothing happens.
    await sweepRetention(server.services);
    expect(await mediaRow(server, brief.id)).toBeDefined();
    expect((await server.request('GET', `/v1/media/${brief.id}`, { key })).status).toBe(200);

    const swept = await sweepRetention(server.services, Date.now() + 5 * 60_000 + 1000);
    expect(swept.media).toBeGreaterThanOrEqual(1);
    expect(await mediaRow(server, brief.id)).toBeUndefined();
    expect(await storedOriginals(server)).not.toContain(brief.id);
    expect(await renditionsOf(brief.id)).toEqual([]);
    expectHostingError(await server.request('GET', `/v1/media/${brief.id}`, { key }), 404, 'not_found', {
      message: 'Media not found',
    });

    expect(await mediaRow(server, lasting.id)).toBeDefined();
    expect(await storedOriginals(server)).toContain(lasting.id);
    expect(await renditionsOf(lasting.id)).toEqual(['w640/x.webp']);
    expect(await garbage()).toEqual([]);
    await expectEveryRowHasItsBlob();
  });

  it('unverified uploads are swept after 30 days; once verified, only explicit ttls expire', async () => {
    const unverified = await keyedAccount(server, { verified: false });
    const early = await uploaded(server, await images.png(), { key: unverified.key });
    const toVerify = await keyedAccount(server, { verified: false });
    const kept = await uploaded(server, await images.png(), { key: toVerify.key });
    const timed = await uploaded(server, await images.png(), { key: toVerify.key, fields: { ttl: '10d' } });
    await patchAccount(server, toVerify.accountId, { email_verified: true });

    await sweepRetention(server.services, Date.now() + 29 * DAY_MS);
    expect(await mediaRow(server, early.id)).toBeDefined();
    expect(await mediaRow(server, timed.id)).toBeUndefined();

    await sweepRetention(server.services, Date.now() + 31 * DAY_MS);
    expect(await mediaRow(server, early.id)).toBeUndefined();
    expect(await storedOriginals(server)).not.toContain(early.id);
    expect(await mediaRow(server, kept.id)).toBeDefined();
    expect(await storedOriginals(server)).toContain(kept.id);
    await expectEveryRowHasItsBlob();
  });
});

describe('expired, not yet swept', () => {
  it('is gone from every read at once: GET, list, PATCH and DELETE all answer as if deleted', async () => {
    const { key } = await keyedAccount(server, { verified: true });
    const media = await uploaded(server, await images.png(), { key, fields: { ttl: '5m', tags: 'gone' } });
    const other = await uploaded(server, await images.png(), { key, fields: { tags: 'gone' } });
    // Five minutes pass: the clock is moved by moving the expiry, the sweeper has not run.
    await db()
      .updateTable('media')
      .set({ expires_at: Date.now() - 1000 })
      .where('id', '=', media.id)
      .execute();

    const notFound = { message: 'Media not found' };
    expectHostingError(
      await server.request('GET', `/v1/media/${media.id}`, { key }),
      404,
      'not_found',
      notFound,
    );
    expectHostingError(await server.request('GET', `/v1/media/${media.id}`), 404, 'not_found', notFound);
    const patched = await server.request('PATCH', `/v1/media/${media.id}`, { key, json: { name: 'x' } });
    expectHostingError(patched, 404, 'not_found', notFound);
    for (const query of ['', '?tags=gone', `?ids=${media.id},${other.id}`]) {
      const list = await server.request('GET', `/v1/media${query}`, { key });
      expect(
        list.body.data.map((m: { id: string }) => m.id),
        query,
      ).toEqual([other.id]);
    }
    const deleted = await server.request('DELETE', `/v1/media/${media.id}`, { key });
    expectHostingError(deleted, 404, 'not_found', notFound);

    await sweepRetention(server.services);
    expect(await mediaRow(server, media.id)).toBeUndefined();
    expect(await storedOriginals(server)).not.toContain(media.id);
    await expectEveryRowHasItsBlob();
  });
});

describe('crash safety', () => {
  it('a crash between blob write and row insert leaves an orphan the sweep removes after the grace period', async () => {
    // Exactly what ingest does before its row transaction, then "the process dies".
    const id = newMediaId();
    const key = originalKey(id);
    await announceBlob(db(), key);
    await server.services.blobs.put(key, await images.png());
    expect(await storedOriginals(server)).toContain(id);

    // Within the grace period the blob may belong to an upload still in flight: it must stay.
    await sweepRetention(server.services);
    await sweepRetention(server.services, Date.now() + UPLOAD_GRACE_MS - 60_000);
    expect(await storedOriginals(server)).toContain(id);
    expect((await garbage()).map((g) => g.blob_key)).toEqual([key]);

    const swept = await sweepRetention(server.services, Date.now() + UPLOAD_GRACE_MS + 60_000);
    expect(swept.blobs).toBe(1);
    expect(await storedOriginals(server)).not.toContain(id);
    expect(await garbage()).toEqual([]);
    await expectEveryRowHasItsBlob();
  });

  it('a crash before the blob was written: the marker alone is cleared', async () => {
    const key = originalKey(newMediaId());
    await announceBlob(db(), key);
    await sweepRetention(server.services, Date.now() + UPLOAD_GRACE_MS + 60_000);
    expect(await garbage()).toEqual([]);
  });

  it('a stale marker for a blob a row owns never deletes that blob', async () => {
    const { key } = await keyedAccount(server, { verified: true });
    const media = await uploaded(server, await images.png(), { key });
    await announceBlob(db(), originalKey(media.id));
    await sweepRetention(server.services, Date.now() + UPLOAD_GRACE_MS + 60_000);
    expect(await garbage()).toEqual([]);
    expect(await storedOriginals(server)).toContain(media.id);
    expect((await server.request('GET', `/v1/media/${media.id}`, { key })).status).toBe(200);
    await expectEveryRowHasItsBlob();
  });

  it('a row insert that fails after the blob was written (storage quota) leaves no blob', async () => {
    const owner = await keyedAccount(server, { verified: true });
    const before = await storedOriginals(server);
    // Observe the blob port: the original must really be written, then taken back.
    const written: string[] = [];
    const blobs = server.services.blobs;
    const put = blobs.put;
    try {
      blobs.put = (key, ...rest) => {
        if (key.startsWith('originals/')) written.push(key.slice('originals/'.length));
        return put.call(blobs, key, ...rest);
      };
      const response = await upload(server, await images.noisePng(1.2 * 1024 * 1024), { key: owner.key });
      expectHostingError(response, 403, 'quota_exceeded', { extra: ['action', 'usage'] });
      expect(response.body.message).toBe('Storage limit reached.');
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      blobs.put = put;
    }
    const attempted = written.filter((name) => !before.includes(name));
    expect(attempted.length, 'the original was written before the row insert failed').toBeGreaterThan(0);
    expect(await storedOriginals(server)).toEqual(before);
    expect(await garbage()).toEqual([]);
    expect(await scratchFiles(server)).toEqual([]);
    expect((await usage(server, owner.key)).uploads.used).toBe(0);
    await expectEveryRowHasItsBlob();
  });
});
