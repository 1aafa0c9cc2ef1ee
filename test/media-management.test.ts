import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pathOf } from './support/fixtures.ts';
import * as images from './support/images.ts';
import {
  blobsUnder,
  DAY_SECONDS,
  expectHostingError,
  expectMediaShape,
  expectValidationError,
  fakeRendition,
  type Keyed,
  keyedAccount,
  listAll,
  type MediaBody,
  nowSeconds,
  secondKey,
  storedOriginals,
  uploaded,
  usage,
} from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

const notFound = (response: Awaited<ReturnType<TestServer['request']>>) =>
  expectHostingError(response, 404, 'not_found', { message: 'Media not found' });

/** Uploads `count` small images one after the other; returns them in upload order. */
async function uploadMany(key: string, count: number, fields: Record<string, string> = {}) {
  const out: MediaBody[] = [];
  for (let i = 0; i < count; i++)
    out.push(await uploaded(server, await images.png(8 + i, 8), { key, fields }));
  return out;
}

const ids = (list: { id: string }[]) => list.map((m) => m.id);

describe('GET /v1/media', () => {
  it('keyset pagination with limit=2: newest first, every media exactly once', async () => {
    const owner = await keyedAccount(server);
    const made = await uploadMany(owner.key, 5);
    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const query: string = `/v1/media?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const response = await server.request('GET', query, { key: owner.key });
      expect(response.status, response.text).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(['data', 'has_more', 'next_cursor', 'pagination']);
      pages.push(response.body.data.length);
      seen.push(...ids(response.body.data));
      for (const media of response.body.data) expectMediaShape(server, media);
      cursor = response.body.pagination.next_cursor;
      expect(response.body.pagination.has_more).toBe(cursor !== null);
      // Earlier img.pro clients page with the same two fields at the top level.
      expect(response.body.next_cursor).toBe(cursor);
      expect(response.body.has_more).toBe(cursor !== null);
      if (!cursor) break;
    }
    expect(pages).toEqual([2, 2, 1]);
    expect(seen).toEqual(ids(made).reverse());
  });

  it('a media uploaded while paging does not shift the pages already handed out', async () => {
    const owner = await keyedAccount(server);
    const made = await uploadMany(owner.key, 3);
    const first = await server.request('GET', '/v1/media?limit=2', { key: owner.key });
    await uploaded(server, await images.png(), { key: owner.key });
    const cursor = encodeURIComponent(first.body.pagination.next_cursor);
    const second = await server.request('GET', `/v1/media?limit=2&cursor=${cursor}`, { key: owner.key });
    expect([...ids(first.body.data), ...ids(second.body.data)]).toEqual(ids(made).reverse());
    expect(second.body.pagination).toEqual({ next_cursor: null, has_more: false });
    expect(second.body).toMatchObject({ next_cursor: null, has_more: false });
  });

  it('namespace filter', async () => {
    const owner = await keyedAccount(server);
    const [a1] = await uploadMany(owner.key, 1, { namespace: 'alpha' });
    await uploadMany(owner.key, 1, { namespace: 'beta' });
    await uploadMany(owner.key, 1);
    const [a2] = await uploadMany(owner.key, 1, { namespace: 'alpha' });
    expect(ids(await listAll(server, owner.key, 'namespace=alpha'))).toEqual(ids([a2!, a1!]));
    expect(await listAll(server, owner.key, 'namespace=gamma')).toEqual([]);
  });

  it('tags with tag_mode any (default) and all; ids=', async () => {
    const owner = await keyedAccount(server);
    const [redBlue] = await uploadMany(owner.key, 1, { tags: 'red,blue' });
    const [red] = await uploadMany(owner.key, 1, { tags: 'red' });
    const [green] = await uploadMany(owner.key, 1, { tags: 'green' });
    await uploadMany(owner.key, 1);
    expect(ids(await listAll(server, owner.key, 'tags=red,blue'))).toEqual(ids([red!, redBlue!]));
    expect(ids(await listAll(server, owner.key, 'tags=red,blue&tag_mode=any'))).toEqual(
      ids([red!, redBlue!]),
    );
    expect(ids(await listAll(server, owner.key, 'tags=red,blue&tag_mode=all'))).toEqual(ids([redBlue!]));
    expect(ids(await listAll(server, owner.key, 'tags=RED,green&tag_mode=any'))).toEqual(
      ids([green!, red!, redBlue!]),
    );
    expect(await listAll(server, owner.key, 'tags=red,green&tag_mode=all')).toEqual([]);

    const stranger = await keyedAccount(server);
    const [theirs] = await uploadMany(stranger.key, 1);
    const wanted = `ids=${redBlue!.id},${green!.id},${theirs!.id},Zzzzzzzz`;
    // Unknown ids and other accounts' ids are simply not there.
    expect(ids(await listAll(server, owner.key, wanted))).toEqual(ids([green!, redBlue!]));
  });

  it('only the caller’s media of the key’s environment', async () => {
    const owner = await keyedAccount(server);
    const [live] = await uploadMany(owner.key, 1);
    const testKey = await secondKey(server, owner.accountId, 'test');
    const [sandbox] = await uploadMany(testKey, 1);
    expect(ids(await listAll(server, owner.key))).toEqual(ids([live!]));
    expect(ids(await listAll(server, testKey))).toEqual(ids([sandbox!]));
    expect(await listAll(server, (await keyedAccount(server)).key)).toEqual([]);
  });

  it('bad query: limit out of range, bad cursor, bad tag_mode → 422; no key → 401', async () => {
    const owner = await keyedAccount(server);
    for (const query of ['limit=0', 'limit=101', 'limit=abc']) {
      expectValidationError(await server.request('GET', `/v1/media?${query}`, { key: owner.key }), ['limit']);
    }
    expectValidationError(await server.request('GET', '/v1/media?cursor=bogus', { key: owner.key }), [
      'cursor',
    ]);
    const badMode = await server.request('GET', '/v1/media?tags=a&tag_mode=none', { key: owner.key });
    expectValidationError(badMode, ['tag_mode']);
    expectHostingError(await server.request('GET', '/v1/media'), 401, 'unauthorized');
  });
});

describe('GET /v1/media/{id}', () => {
  let owner: Keyed;
  let stranger: Keyed;
  let publicMedia: MediaBody;
  let privateMedia: MediaBody;

  beforeAll(async () => {
    owner = await keyedAccount(server);
    stranger = await keyedAccount(server);
    publicMedia = await uploaded(server, await images.png(), { key: owner.key });
    privateMedia = await uploaded(server, await images.png(), {
      key: owner.key,
      fields: { public: 'false' },
    });
  });

  it('public media: anyone, without a key or with another account’s key', async () => {
    for (const key of [undefined, stranger.key, owner.key]) {
      const response = await server.request('GET', `/v1/media/${publicMedia.id}`, key ? { key } : {});
      expect(response.status, response.text).toBe(200);
      expect(response.body).toEqual(publicMedia);
    }
  });

  it('private media: 404 without a key and with another account’s key, 200 for the owner', async () => {
    notFound(await server.request('GET', `/v1/media/${privateMedia.id}`));
    notFound(await server.request('GET', `/v1/media/${privateMedia.id}`, { key: stranger.key }));
    const mine = await server.request('GET', `/v1/media/${privateMedia.id}`, { key: owner.key });
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual(privateMedia);
  });

  it('a key of the other environment sees 404, public or private (docs/api.md §1)', async () => {
    const ownTestKey = await secondKey(server, owner.accountId, 'test');
    notFound(await server.request('GET', `/v1/media/${privateMedia.id}`, { key: ownTestKey }));
    notFound(await server.request('GET', `/v1/media/${publicMedia.id}`, { key: ownTestKey }));
    const sandbox = await uploaded(server, await images.png(), { key: ownTestKey });
    notFound(await server.request('GET', `/v1/media/${sandbox.id}`, { key: owner.key }));
  });

  it('unknown id → 404 not_found "Media not found"; a bad key → 401 even for public media', async () => {
    notFound(await server.request('GET', '/v1/media/Zzzzzzzz'));
    notFound(await server.request('GET', '/v1/media/not-even-an-id'));
    const bad = await server.request('GET', `/v1/media/${publicMedia.id}`, { key: 'img_live_nope' });
    expectHostingError(bad, 401, 'unauthorized');
  });
});

describe('PATCH /v1/media/{id}', () => {
  let owner: Keyed;

  beforeAll(async () => {
    owner = await keyedAccount(server);
  });

  const patch = (id: string, json: unknown, key = owner.key) =>
    server.request('PATCH', `/v1/media/${id}`, { key, json });

  it('name, namespace (null clears), public, date, metadata; the answer is what GET returns', async () => {
    const media = await uploaded(server, await images.png(), {
      key: owner.key,
      fields: { namespace: 'old-ns', date: '2020-01-01', note: 'first' },
    });
    const response = await patch(media.id, {
      name: 'Renamed',
      namespace: 'new-ns',
      public: false,
      date: '2024-02-29',
      metadata: { caption: 'A cat', credit: 'me' },
    });
    expect(response.status, response.text).toBe(200);
    expectMediaShape(server, response.body);
    expect(response.body).toMatchObject({
      id: media.id,
      name: 'Renamed',
      namespace: 'new-ns',
      public: false,
      date: '2024-02-29',
      metadata: { caption: 'A cat', credit: 'me' },
      src: media.src,
      created_at: media.created_at,
    });
    expect(response.body.updated_at).toBeGreaterThanOrEqual(media.updated_at);
    expect((await server.request('GET', `/v1/media/${media.id}`, { key: owner.key })).body).toEqual(
      response.body,
    );

    const cleared = await patch(media.id, { namespace: null, date: null, public: true });
    expect(cleared.body).toMatchObject({ namespace: null, date: null, public: true, name: 'Renamed' });
    expect(await listAll(server, owner.key, 'namespace=new-ns')).toEqual([]);
  });

  it('tags with tag_mode replace (default), add and remove; the tag filter follows', async () => {
    const media = await uploaded(server, await images.png(), { key: owner.key, fields: { tags: 'a,b' } });
    expect((await patch(media.id, { tags: ['C', 'd'] })).body.tags).toEqual(['c', 'd']);
    expect((await patch(media.id, { tags: 'e,c', tag_mode: 'add' })).body.tags).toEqual(['c', 'd', 'e']);
    expect((await patch(media.id, { tags: ['d'], tag_mode: 'remove' })).body.tags).toEqual(['c', 'e']);
    expect((await patch(media.id, { tags: ['x'], tag_mode: 'replace' })).body.tags).toEqual(['x']);
    expect(ids(await listAll(server, owner.key, 'tags=x'))).toEqual([media.id]);
    expect(await listAll(server, owner.key, 'tags=c')).toEqual([]);
  });

  it('ttl: a number sets the expiry from now, null makes a verified account’s media permanent', async () => {
    const media = await uploaded(server, await images.png(), { key: owner.key });
    const timed = await patch(media.id, { ttl: 7200 });
    expect(timed.status, timed.text).toBe(200);
    expect(Math.abs(timed.body.expires_at - (nowSeconds() + 7200))).toBeLessThanOrEqual(5);
    const forever = await patch(media.id, { ttl: null });
    expect(forever.body.expires_at).toBeNull();
  });

  it('description: set, changed and removed on its own, kept as metadata beside the other fields', async () => {
    const media = await uploaded(server, await images.png(), {
      key: owner.key,
      fields: { description: 'first words', credit: 'me' },
    });
    expect(media.metadata).toEqual({ description: 'first words', credit: 'me' });
    const changed = await patch(media.id, { description: 'second words' });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.metadata).toEqual({ description: 'second words', credit: 'me' });
    const both = await patch(media.id, { metadata: { caption: 'c' }, description: 'third' });
    expect(both.body.metadata).toEqual({ caption: 'c', description: 'third' });
    const removed = await patch(media.id, { description: null });
    expect(removed.body.metadata).toEqual({ caption: 'c' });
    expect((await server.request('GET', `/v1/media/${media.id}`, { key: owner.key })).body.metadata).toEqual({
      caption: 'c',
    });
  });

  it('description: bounded like any metadata value; a 21st metadata field is refused', async () => {
    const media = await uploaded(server, await images.png(), { key: owner.key });
    expectValidationError(await patch(media.id, { description: 'x'.repeat(501) }), ['description']);
    expectValidationError(await patch(media.id, { description: 5 }), ['description']);
    expect((await patch(media.id, { description: 'x'.repeat(500) })).status).toBe(200);
    const twenty = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k_${i}`, 'v']));
    expect((await patch(media.id, { metadata: twenty })).status).toBe(200);
    expectValidationError(await patch(media.id, { description: 'one too many' }), ['metadata']);
    expect(
      Object.keys((await server.request('GET', `/v1/media/${media.id}`, { key: owner.key })).body.metadata),
    ).toHaveLength(20);
  });

  it('ttl on an unverified account is capped by its retention from upload, as at upload — again and again', async () => {
    const unverified = await keyedAccount(server, { verified: false });
    const media = await uploaded(server, await images.png(), { key: unverified.key });
    const cap = media.created_at + 30 * DAY_SECONDS;
    expect(Math.abs((media.expires_at ?? 0) - cap)).toBeLessThanOrEqual(1);
    for (const ttl of ['90d', '60d', 90 * DAY_SECONDS, '31d']) {
      const response = await patch(media.id, { ttl }, unverified.key);
      expect(response.status, response.text).toBe(200);
      expect(Math.abs(response.body.expires_at - cap), String(ttl)).toBeLessThanOrEqual(1);
    }
    // A shorter ttl still shortens it.
    const shorter = await patch(media.id, { ttl: '2d' }, unverified.key);
    expect(Math.abs(shorter.body.expires_at - (nowSeconds() + 2 * DAY_SECONDS))).toBeLessThanOrEqual(5);
    // And the capped expiry is the retention's, so verification lifts it as it lifts an upload's.
    await patch(media.id, { ttl: '90d' }, unverified.key);
    const row = await server.services.store.db
      .selectFrom('media')
      .select(['expiry_reason'])
      .where('id', '=', media.id)
      .executeTakeFirstOrThrow();
    expect(row.expiry_reason).toBe('unverified');
  });

  it('a verified account’s PATCHed ttl is not capped', async () => {
    const media = await uploaded(server, await images.png(), { key: owner.key });
    const response = await patch(media.id, { ttl: '90d' });
    expect(Math.abs(response.body.expires_at - (nowSeconds() + 90 * DAY_SECONDS))).toBeLessThanOrEqual(5);
  });

  it('batch PATCH caps ttl the same way', async () => {
    const unverified = await keyedAccount(server, { verified: false });
    const a = await uploaded(server, await images.png(), { key: unverified.key });
    const response = await server.request('PATCH', `/v1/media?ids=${a.id}`, {
      key: unverified.key,
      json: { ttl: '90d' },
    });
    expect(response.status, response.text).toBe(200);
    expect(
      Math.abs(response.body.data[0].expires_at - (a.created_at + 30 * DAY_SECONDS)),
    ).toBeLessThanOrEqual(1);
  });

  it('ttl null on an unverified account keeps its 30-day retention', async () => {
    const unverified = await keyedAccount(server, { verified: false });
    const media = await uploaded(server, await images.png(), { key: unverified.key, fields: { ttl: '1h' } });
    const response = await patch(media.id, { ttl: null }, unverified.key);
    expect(response.status, response.text).toBe(200);
    expect(Math.abs(response.body.expires_at - (media.created_at + 30 * DAY_SECONDS))).toBeLessThanOrEqual(1);
  });

  it('bad bodies → 422 with the field named, and nothing changes', async () => {
    const media = await uploaded(server, await images.png(), { key: owner.key, fields: { tags: 'keep' } });
    const invalidJson = await server.request('PATCH', `/v1/media/${media.id}`, {
      key: owner.key,
      body: '{"name": "x",',
      headers: { 'content-type': 'application/json' },
    });
    expectValidationError(invalidJson, ['body']);
    expectValidationError(await patch(media.id, { namespace: 'Bad_NS' }), ['namespace']);
    expectValidationError(await patch(media.id, { tags: ['a'], tag_mode: 'merge' }), ['tag_mode']);
    expectValidationError(await patch(media.id, { ttl: 10 }), ['ttl']);
    expectValidationError(await patch(media.id, { ttl: '100d' }), ['ttl']);
    expectValidationError(await patch(media.id, { date: 'tomorrow' }), ['date']);
    expectValidationError(await patch(media.id, { metadata: ['not', 'an', 'object'] }), ['metadata']);
    expectValidationError(await patch(media.id, ['not an object']), ['body']);
    const eleven = Array.from({ length: 10 }, (_, i) => `n${i}`);
    expectValidationError(await patch(media.id, { tags: eleven, tag_mode: 'add' }), ['tags']);
    const after = await server.request('GET', `/v1/media/${media.id}`, { key: owner.key });
    expect(after.body).toEqual(media);
  });

  it('unknown id, another account’s id and the other environment’s id → 404, untouched', async () => {
    const stranger = await keyedAccount(server);
    const theirs = await uploaded(server, await images.png(), { key: stranger.key });
    notFound(await patch('Zzzzzzzz', { name: 'x' }));
    notFound(await patch(theirs.id, { name: 'stolen' }));
    const mine = await uploaded(server, await images.png(), { key: owner.key });
    notFound(await patch(mine.id, { name: 'other env' }, await secondKey(server, owner.accountId, 'test')));
    expect((await server.request('GET', `/v1/media/${theirs.id}`)).body.name).toBe(theirs.name);
    expect((await server.request('GET', `/v1/media/${mine.id}`)).body.name).toBe(mine.name);
  });
});

describe('batch PATCH and DELETE /v1/media?ids=', () => {
  it('PATCH applies per item and reports the missing ones', async () => {
    const owner = await keyedAccount(server);
    const stranger = await keyedAccount(server);
    const [a, b] = await uploadMany(owner.key, 2);
    const theirs = await uploaded(server, await images.png(), { key: stranger.key });
    const response = await server.request('PATCH', `/v1/media?ids=${a!.id},${b!.id},missing1,${theirs.id}`, {
      key: owner.key,
      json: { tags: ['batch'], public: false },
    });
    expect(response.status, response.text).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['data', 'errors']);
    expect(ids(response.body.data)).toEqual([a!.id, b!.id]);
    for (const media of response.body.data) expect(media).toMatchObject({ tags: ['batch'], public: false });
    expect(response.body.errors).toEqual([
      { id: 'missing1', error: 'not_found', message: 'Media not found' },
      { id: theirs.id, error: 'not_found', message: 'Media not found' },
    ]);
    expect((await server.request('GET', `/v1/media/${theirs.id}`)).body).toEqual(theirs);
  });

  it('PATCH with a bad body or no ids fails as a whole (422)', async () => {
    const owner = await keyedAccount(server);
    const [a] = await uploadMany(owner.key, 1);
    const bad = await server.request('PATCH', `/v1/media?ids=${a!.id}`, {
      key: owner.key,
      json: { namespace: 'Bad_NS' },
    });
    expectValidationError(bad, ['namespace']);
    expectValidationError(await server.request('PATCH', '/v1/media', { key: owner.key, json: {} }), ['ids']);
    const tooMany = Array.from({ length: 101 }, (_, i) => `id${String(i).padStart(6, '0')}`).join(',');
    const many = await server.request('PATCH', `/v1/media?ids=${tooMany}`, { key: owner.key, json: {} });
    expectValidationError(many, ['ids']);
    expect((await server.request('GET', `/v1/media/${a!.id}`)).body).toEqual(a);
  });

  it('DELETE applies per item: originals and renditions go, missing ids are reported', async () => {
    const owner = await keyedAccount(server);
    const [a, b, keep] = await uploadMany(owner.key, 3);
    for (const media of [a!, b!]) await fakeRendition(server, media.id, ['w320/fake.webp', 'm.jpg']);
    const response = await server.request('DELETE', `/v1/media?ids=${a!.id},${b!.id},missing1`, {
      key: owner.key,
    });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toEqual({
      data: [
        { id: a!.id, deleted: true },
        { id: b!.id, deleted: true },
      ],
      errors: [{ id: 'missing1', error: 'not_found', message: 'Media not found' }],
    });
    const originals = await storedOriginals(server);
    expect(originals).not.toContain(a!.id);
    expect(originals).not.toContain(b!.id);
    expect(originals).toContain(keep!.id);
    for (const media of [a!, b!]) expect(await renditionsOf(media.id)).toEqual([]);
    expect(ids(await listAll(server, owner.key))).toEqual([keep!.id]);
  });
});

const renditionsOf = (id: string) => blobsUnder(server, `renditions/${id}`);

describe('DELETE /v1/media/{id}', () => {
  it('removes the row, the original and every rendition; then GET and DELETE are 404', async () => {
    const owner = await keyedAccount(server);
    const media = await uploaded(server, await images.png(), { key: owner.key });
    expect(await storedOriginals(server)).toContain(media.id);
    await fakeRendition(server, media.id, ['w320/fake.webp', 'm.jpg']);
    expect(await renditionsOf(media.id)).toHaveLength(2);

    const response = await server.request('DELETE', `/v1/media/${media.id}`, { key: owner.key });
    expect(response.status, response.text).toBe(200);
    expect(response.body).toEqual({ id: media.id, deleted: true });

    expect(await storedOriginals(server)).not.toContain(media.id);
    expect(await renditionsOf(media.id)).toEqual([]);
    // Nothing is owed to the sweeper: the deletion finished.
    const owed = await server.services.store.db.selectFrom('blob_garbage').selectAll().execute();
    expect(owed.filter((g) => g.blob_key.includes(media.id))).toEqual([]);
    notFound(await server.request('GET', `/v1/media/${media.id}`, { key: owner.key }));
    notFound(await server.request('DELETE', `/v1/media/${media.id}`, { key: owner.key }));
  });

  it('a rendition the delivery path cached is removed too, and the src stops answering', async () => {
    const owner = await keyedAccount(server);
    const media = await uploaded(server, await images.jpeg(400, 300), { key: owner.key });
    const small = await server.request('GET', pathOf(media.sizes.s));
    expect(small.status).toBe(200);
    // The answer does not wait for the cache write: wait for the rendition to land in the blob store.
    await vi.waitFor(async () => expect(await renditionsOf(media.id)).not.toEqual([]), {
      timeout: 5000,
      interval: 20,
    });

    const response = await server.request('DELETE', `/v1/media/${media.id}`, { key: owner.key });
    expect(response.status, response.text).toBe(200);
    expect(await renditionsOf(media.id)).toEqual([]);
    expect((await server.request('GET', pathOf(media.sizes.s))).status).toBe(404);
    expect((await server.request('GET', pathOf(media.src))).status).toBe(404);
  });

  it('another account’s id or the other environment’s → 404 and the media stays', async () => {
    const owner = await keyedAccount(server);
    const stranger = await keyedAccount(server);
    const media = await uploaded(server, await images.png(), { key: owner.key });
    notFound(await server.request('DELETE', `/v1/media/${media.id}`, { key: stranger.key }));
    const testKey = await secondKey(server, owner.accountId, 'test');
    notFound(await server.request('DELETE', `/v1/media/${media.id}`, { key: testKey }));
    expect(await storedOriginals(server)).toContain(media.id);
    expect((await server.request('GET', `/v1/media/${media.id}`)).status).toBe(200);
  });
});

describe('GET /v1/usage', () => {
  it('counts uploads and storage; deleting frees storage, not the month’s upload count', async () => {
    const owner = await keyedAccount(server);
    const empty = await usage(server, owner.key);
    const now = new Date();
    expect(empty).toMatchObject({
      plan: 'free',
      verified: true,
      uploads: {
        used: 0,
        limit: 100,
        resets_at: Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) / 1000,
      },
      storage: { used_bytes: 0, limit_bytes: 5120 * 1024 * 1024 },
    });

    const first = await uploaded(server, await images.png(30, 30), { key: owner.key });
    const second = await uploaded(server, await images.jpeg(50, 40), { key: owner.key });
    const full = await usage(server, owner.key);
    expect(full.uploads.used).toBe(2);
    expect(full.storage.used_bytes).toBe(first.filesize + second.filesize);

    await server.request('DELETE', `/v1/media/${first.id}`, { key: owner.key });
    const after = await usage(server, owner.key);
    expect(after.uploads.used).toBe(2);
    expect(after.storage.used_bytes).toBe(second.filesize);
  });

  it('storage used equals the sum of the media held after concurrent uploads and deletes', async () => {
    const owner = await keyedAccount(server);
    const files = await Promise.all(Array.from({ length: 8 }, (_, i) => images.jpeg(20 + i * 7, 20 + i)));
    const firsts = await Promise.all(files.map((file) => uploaded(server, file, { key: owner.key })));
    // Half deleted (each twice at once) while as many more arrive.
    await Promise.all([
      ...files.map((file) => uploaded(server, file, { key: owner.key })),
      ...firsts
        .slice(0, 4)
        .flatMap((m) => [1, 2].map(() => server.request('DELETE', `/v1/media/${m.id}`, { key: owner.key }))),
    ]);
    const held = await listAll(server, owner.key);
    expect(held).toHaveLength(12);
    const bytes = held.reduce((sum, m) => sum + m.filesize, 0);
    expect((await usage(server, owner.key)).storage.used_bytes).toBe(bytes);
  });
});
