// The dashboard's media endpoints over real HTTP (docs/web.md): upload through the same ingest, limits and quotas
// as POST /v1/upload, the library by environment with its filters and keyset pages, edits and their validation,
// deletion of one and many, and the rendition builder's URLs (signed when the server signs transforms).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, mintKey, patchAccount } from './support/fixtures.ts';
import * as images from './support/images.ts';
import { uploaded, uploadForm } from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { signIn, type WebSession } from './support/web-session.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    LIGHTBOX_SIGN_IN_PER_EMAIL_PER_HOUR: '1000',
    LIGHTBOX_SIGN_IN_PER_IP_PER_HOUR: '100000',
    LIGHTBOX_MAX_UPLOAD_MB: '1',
    LIGHTBOX_PLANS: 'free:5:1024:Free,pro:1000:102400:Pro',
    LIGHTBOX_DEFAULT_PLAN: 'free',
  });
});
afterAll(async () => {
  await server?.close();
});

async function owner() {
  const account = await createAccount(server, { verified: true });
  return { account, session: await signIn(server, account.email) };
}

/** A dashboard upload, as media.js sends it: multipart with the CSRF header. */
function dashboardUpload(
  session: WebSession,
  file: Buffer | null,
  options: { environment?: string; fields?: Record<string, string>; filename?: string } = {},
) {
  const query = options.environment ? `?environment=${options.environment}` : '';
  return session.request('POST', `/dashboard/api/media${query}`, {
    body: uploadForm(file, {
      filename: options.filename ?? 'photo.jpg',
      ...(options.fields ? { fields: options.fields } : {}),
    }),
  });
}

async function rows(accountId: string) {
  return server.services.store.db
    .selectFrom('media')
    .select(['id', 'environment', 'name', 'namespace', 'tags', 'public', 'expires_at'])
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
}

describe('upload from the dashboard', () => {
  it('stores the file in the chosen environment with its fields, and the API of that environment sees it', async () => {
    const me = await owner();
    const live = await dashboardUpload(me.session, await images.jpeg(800, 600), {
      fields: { tags: 'Sea, travel', namespace: 'trips', name: 'Harbour' },
    });
    expect(live.status, live.text).toBe(201);
    expect(live.body).toMatchObject({
      name: 'Harbour',
      width: 800,
      height: 600,
      format: 'jpeg',
      tags: ['sea', 'travel'],
      namespace: 'trips',
      public: true,
      expires_at: null,
    });
    const test = await dashboardUpload(me.session, await images.png(20, 10), {
      environment: 'test',
      fields: { public: 'false' },
      filename: 'sandbox.png',
    });
    expect(test.status, test.text).toBe(201);
    expect(test.body).toMatchObject({ name: 'sandbox.png', public: false });

    const liveKey = await mintKey(server, me.account.id, { environment: 'live' });
    const testKey = await mintKey(server, me.account.id, { environment: 'test' });
    const liveList = await server.request('GET', '/v1/media', { key: liveKey.key });
    expect(liveList.body.data.map((m: { id: string }) => m.id)).toEqual([live.body.id]);
    const testList = await server.request('GET', '/v1/media', { key: testKey.key });
    expect(testList.body.data.map((m: { id: string }) => m.id)).toEqual([test.body.id]);
    // The image is served like any other.
    const src = await fetch(live.body.sizes.s);
    expect(src.status).toBe(200);
    expect(src.headers.get('content-type')).toBe('image/jpeg');
  });

  it('counts against the month’s uploads: past the plan’s limit it is refused before the body is read', async () => {
    const me = await owner();
    for (let i = 0; i < 5; i++) {
      expect((await dashboardUpload(me.session, await images.jpeg(10 + i, 10))).status).toBe(201);
    }
    const refused = await dashboardUpload(me.session, await images.jpeg(20, 20));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: 'quota_exceeded',
      message: expect.stringMatching(/upload/i),
      action: { type: 'upgrade', url: expect.any(String) },
    });
    expect(await rows(me.account.id)).toHaveLength(5);
    const usage = await me.session.request('GET', '/dashboard/api/usage');
    expect(usage.body.uploads).toMatchObject({ used: 5, limit: 5 });
  });

  it('refuses what POST /v1/upload refuses, with the reason, and stores nothing', async () => {
    const me = await owner();
    const cases: [Buffer | null, number, string, RegExp][] = [
      [null, 400, 'invalid_payload', /./],
      [Buffer.alloc(0), 400, 'invalid_payload', /./],
      [Buffer.from('not an image at all'), 500, 'upload_failed', /unsupported file type/i],
      [await images.noisePng(1.5 * 1024 * 1024), 500, 'upload_failed', /too large/i],
    ];
    for (const [file, status, code, message] of cases) {
      const response = await dashboardUpload(me.session, file);
      expect(response.status, response.text).toBe(status);
      expect(response.body.error.code).toBe(code);
      expect(response.body.error.message).toMatch(message);
    }
    const badField = await dashboardUpload(me.session, await images.jpeg(), {
      fields: { namespace: 'Bad NS!' },
    });
    expect(badField.status).toBe(400);
    expect(badField.body.error).toMatchObject({
      code: 'invalid_payload',
      errors: { namespace: [expect.any(String)] },
    });
    const badEnvironment = await dashboardUpload(me.session, await images.jpeg(), { environment: 'prod' });
    expect(badEnvironment.status).toBe(400);
    expect(await rows(me.account.id)).toEqual([]);
  });

  it('a suspended or restricted account cannot upload, but can still read its library', async () => {
    for (const flag of [{ suspended: true }, { payment_risk: true }]) {
      const me = await owner();
      await patchAccount(server, me.account.id, flag);
      const refused = await dashboardUpload(me.session, await images.jpeg());
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe(flag.suspended ? 'account_suspended' : 'payment_risk_restricted');
      expect((await me.session.request('GET', '/dashboard/api/media')).status).toBe(200);
    }
  });
});

describe('the library', () => {
  let me: Awaited<ReturnType<typeof owner>>;
  let key: string;
  const ids: string[] = [];

  beforeAll(async () => {
    me = await owner();
    key = (await mintKey(server, me.account.id, { environment: 'live' })).key;
    const specs = [
      { name: 'Red chair', tags: 'furniture,red', namespace: 'shop' },
      { name: 'Blue chair', tags: 'furniture,blue', namespace: 'shop' },
      { name: 'Sunset_100%', tags: 'sky,red', namespace: 'trips' },
      { name: 'Lamp', tags: 'furniture', namespace: '' },
    ];
    for (const fields of specs) {
      const { namespace, ...rest } = fields;
      const media = await uploaded(server, await images.jpeg(30 + ids.length, 20), {
        key,
        fields: namespace ? { ...rest, namespace } : rest,
      });
      ids.push(media.id);
    }
  });

  const list = async (query: string) => {
    const response = await me.session.request('GET', `/dashboard/api/media${query}`);
    expect(response.status, response.text).toBe(200);
    return response.body as { data: { id: string; name: string }[]; next_cursor: string | null };
  };
  const names = async (query: string) => (await list(query)).data.map((m) => m.name);

  it('lists newest first; filters by name (any case, % and _ taken literally), namespace and tags', async () => {
    expect(await names('')).toEqual(['Lamp', 'Sunset_100%', 'Blue chair', 'Red chair']);
    expect(await names('?name=CHAIR')).toEqual(['Blue chair', 'Red chair']);
    expect(await names('?name=_100%25')).toEqual(['Sunset_100%']);
    expect(await names('?name=%25')).toEqual(['Sunset_100%']);
    expect(await names('?name=_')).toEqual(['Sunset_100%']);
    expect(await names('?namespace=shop')).toEqual(['Blue chair', 'Red chair']);
    expect(await names('?tags=red')).toEqual(['Sunset_100%', 'Red chair']);
    expect(await names('?tags=red,furniture&tag_mode=all')).toEqual(['Red chair']);
    expect(await names('?tags=furniture&name=chair&namespace=shop')).toEqual(['Blue chair', 'Red chair']);
    expect(await names('?environment=test')).toEqual([]);
    const namespaces = await me.session.request('GET', '/dashboard/api/media/namespaces');
    expect(namespaces.body).toEqual({ data: ['shop', 'trips'] });
  });

  it('pages with a keyset cursor: every image once, in order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.data.map((m) => m.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const bad = await me.session.request('GET', '/dashboard/api/media?cursor=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_payload');
    for (const query of ['?limit=0', '?limit=101', '?environment=prod', '?extra=1']) {
      expect((await me.session.request('GET', `/dashboard/api/media${query}`)).status, query).toBe(400);
    }
  });

  it('one image: the media object with its environment and why it expires', async () => {
    const response = await me.session.request('GET', `/dashboard/api/media/${ids[0]}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: ids[0],
      name: 'Red chair',
      environment: 'live',
      expiry_reason: null,
    });
    expect((await me.session.request('GET', '/dashboard/api/media/ZZZZZZZZ')).status).toBe(404);
  });
});

describe('edits and deletion', () => {
  it('edits name, tags, namespace, visibility and expiry; bad values change nothing and name the field', async () => {
    const me = await owner();
    const media = (await dashboardUpload(me.session, await images.jpeg())).body;
    const patch = (json: unknown) =>
      me.session.request('PATCH', `/dashboard/api/media/${media.id}`, { json });
    const saved = await patch({ name: 'Renamed', tags: 'a, b', namespace: 'ns-1', public: false, ttl: '7d' });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body).toMatchObject({ name: 'Renamed', tags: ['a', 'b'], namespace: 'ns-1', public: false });
    expect(saved.body.expires_at - Math.floor(Date.now() / 1000)).toBeGreaterThan(7 * 86_400 - 60);
    // Private now: the viewer page is gone, the src still works.
    expect((await server.request('GET', `/i/${media.id}`)).status).toBe(404);
    expect((await fetch(media.src)).status).toBe(200);

    const never = await patch({ ttl: null, namespace: null });
    expect(never.body).toMatchObject({ expires_at: null, namespace: null });

    const before = await rows(me.account.id);
    for (const [json, field] of [
      [{ name: '' }, 'name'],
      [{ namespace: 'UPPER' }, 'namespace'],
      [{ ttl: '1y' }, 'ttl'],
      [{ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, 'tags'],
    ] as const) {
      const response = await patch(json);
      expect(response.status, JSON.stringify(json)).toBe(400);
      expect(response.body.error.code).toBe('invalid_payload');
      expect(Object.keys(response.body.error.errors ?? {}), JSON.stringify(json)).toContain(field);
    }
    for (const json of [{ public: 'yes' }, { unknown: 1 }, []]) {
      expect((await patch(json)).status, JSON.stringify(json)).toBe(400);
    }
    expect(await rows(me.account.id)).toEqual(before);
  });

  it('deletes one, and many at once (each on its own: unknown ids are reported, not fatal)', async () => {
    const me = await owner();
    const made = [];
    for (let i = 0; i < 4; i++)
      made.push((await dashboardUpload(me.session, await images.jpeg(10 + i, 9))).body);
    const one = await me.session.request('DELETE', `/dashboard/api/media/${made[0].id}`);
    expect(one.body).toEqual({ id: made[0].id, deleted: true });
    expect((await fetch(made[0].src)).status).toBe(404);

    const many = await me.session.request('POST', '/dashboard/api/media/bulk-delete', {
      json: { environment: 'live', ids: [made[1].id, made[2].id, 'ZZZZZZZZ'] },
    });
    expect(many.status, many.text).toBe(200);
    expect(many.body.data).toEqual([
      { id: made[1].id, deleted: true },
      { id: made[2].id, deleted: true },
    ]);
    expect(many.body.errors).toEqual([{ id: 'ZZZZZZZZ', error: 'not_found', message: 'Media not found' }]);
    expect((await rows(me.account.id)).map((r) => r.id)).toEqual([made[3].id]);
    // The other environment's library does not hold it.
    const wrongEnvironment = await me.session.request('POST', '/dashboard/api/media/bulk-delete', {
      json: { environment: 'test', ids: [made[3].id] },
    });
    expect(wrongEnvironment.body.errors).toHaveLength(1);
    for (const json of [
      { environment: 'live', ids: [] },
      { environment: 'live', ids: Array(101).fill('x') },
    ]) {
      expect((await me.session.request('POST', '/dashboard/api/media/bulk-delete', { json })).status).toBe(
        400,
      );
    }
    expect((await rows(me.account.id)).map((r) => r.id)).toEqual([made[3].id]);
  });

  it('updates many at once: tags added to each, made private', async () => {
    const me = await owner();
    const a = (await dashboardUpload(me.session, await images.jpeg(), { fields: { tags: 'x' } })).body;
    const b = (await dashboardUpload(me.session, await images.jpeg(12, 12))).body;
    const response = await me.session.request('POST', '/dashboard/api/media/bulk-update', {
      json: {
        environment: 'live',
        ids: [a.id, b.id],
        change: { tags: 'new', tag_mode: 'add', public: false },
      },
    });
    expect(response.status, response.text).toBe(200);
    expect(response.body.data.map((m: { tags: string[]; public: boolean }) => [m.tags, m.public])).toEqual([
      [['x', 'new'], false],
      [['new'], false],
    ]);
  });
});

describe('the rendition builder', () => {
  it('builds the src URL from the delivery parameters; the format goes into the extension; unknown ones are dropped', async () => {
    const me = await owner();
    const media = (await dashboardUpload(me.session, await images.jpeg(400, 300))).body;
    const build = async (query: string) => {
      const response = await me.session.request('GET', `/dashboard/api/media/${media.id}/rendition${query}`);
      expect(response.status, response.text).toBe(200);
      return response.body.url as string;
    };
    expect(await build('')).toBe(media.src);
    const base = media.src.replace(/\.jpg$/, '');
    expect(await build('?w=200&h=100&fit=cover&q=70&format=webp')).toBe(
      `${base}.webp?w=200&h=100&fit=cover&q=70`,
    );
    expect(await build('?size=s&evil=1')).toBe(`${media.src}?size=s`);
    // What the URL gives is the rendition asked for.
    const image = await fetch(await build('?w=200&h=100&fit=cover&format=png'));
    expect(image.headers.get('content-type')).toBe('image/png');
    const { sharp } = await import('../src/imaging/sharp-lib.ts');
    expect(await sharp(Buffer.from(await image.arrayBuffer())).metadata()).toMatchObject({
      width: 200,
      height: 100,
    });
  });

  it('signs the parameters when the server requires signed transforms, and that URL is honoured', async () => {
    const signing = await startTestServer({ LIGHTBOX_SIGNED_TRANSFORMS: '1' });
    try {
      const account = await createAccount(signing, { verified: true });
      const session = await signIn(signing, account.email);
      const media = (
        await session.request('POST', '/dashboard/api/media', {
          body: uploadForm(await images.jpeg(400, 300), { filename: 'a.jpg' }),
        })
      ).body;
      const { url } = (await session.request('GET', `/dashboard/api/media/${media.id}/rendition?w=120`)).body;
      expect(url).toMatch(/\?w=120&s=[A-Za-z0-9_-]{32}$/);
      const signed = await fetch(url);
      const { sharp } = await import('../src/imaging/sharp-lib.ts');
      expect((await sharp(Buffer.from(await signed.arrayBuffer())).metadata()).width).toBe(120);
      // Unsigned, the same parameters get a preset instead.
      const unsigned = await fetch(url.replace(/&s=.*$/, ''));
      expect((await sharp(Buffer.from(await unsigned.arrayBuffer())).metadata()).width).not.toBe(120);
    } finally {
      await signing.close();
    }
  });
});
