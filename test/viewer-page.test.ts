// The viewer page `GET /i/{id}` over real HTTP (docs/api.md §2.7): Open Graph and Twitter card tags, escaping, 404s.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharp } from '../src/imaging/sharp-lib.ts';
import * as images from './support/images.ts';
import { type Keyed, keyedAccount, type MediaBody, uploaded } from './support/media-fixtures.ts';
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

const upload = (file: Buffer, fields: Record<string, string> = {}) =>
  uploaded(server, file, { key: owner.key, fields });

const unescapeHtml = (text: string) =>
  text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');

/** `property`/`name` → `content` of every `<meta>` tag, unescaped. */
function metaTags(html: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const match of html.matchAll(/<meta (?:property|name)="([^"]+)" content="([^"]*)">/g)) {
    tags.set(match[1] ?? '', unescapeHtml(match[2] ?? ''));
  }
  return tags;
}

async function page(id: string) {
  const response = await fetch(`${server.url}/i/${id}`);
  return { status: response.status, headers: response.headers, html: await response.text() };
}

/** The social card of a media: its src as JPEG with `size=social`. */
const socialSrc = (media: MediaBody) => `${media.src.replace(/\.[a-z]+$/, '.jpg')}?size=social`;

describe('GET /i/{id}', () => {
  it('is an HTML page showing the image, with Open Graph and Twitter card tags', async () => {
    const media = await upload(await images.jpeg(900, 600), { name: 'Harbour at dusk' });
    expect(media.url).toBe(`${server.url}/i/${media.id}`);
    const response = await page(media.id);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.html).toMatch(/^<!doctype html>/i);
    expect(response.html).toContain('<title>Harbour at dusk</title>');
    const tags = metaTags(response.html);
    expect(tags.get('og:type')).toBe('website');
    expect(tags.get('og:title')).toBe('Harbour at dusk');
    expect(tags.get('og:url')).toBe(media.url);
    expect(tags.get('og:image')).toBe(socialSrc(media));
    expect(tags.get('og:image:width')).toBe('1200');
    expect(tags.get('og:image:height')).toBe('630');
    expect(tags.get('twitter:card')).toBe('summary_large_image');
    expect(tags.get('twitter:title')).toBe('Harbour at dusk');
    expect(tags.get('twitter:image')).toBe(socialSrc(media));
    // The image shown is the `l` rendition (a srcset of `format=auto` widths for browsers that take one), with the
    // original's dimensions for layout.
    const img =
      /<img src="([^"]+)" srcset="([^"]+)" sizes="[^"]+" alt="([^"]*)" width="(\d+)" height="(\d+)">/.exec(
        response.html,
      );
    expect(img?.slice(1)).toEqual([
      media.sizes.l,
      media.srcset_auto.replaceAll('&', '&amp;'),
      'Harbour at dusk',
      '900',
      '600',
    ]);
  });

  it('og:image loads as a 1200 × 630 JPEG, for JPEG, PNG with alpha and SVG originals', async () => {
    const alphaPng = await sharp({
      create: { width: 300, height: 500, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    for (const file of [await images.jpeg(640, 480), alphaPng, images.svg()]) {
      const media = await upload(file);
      const og = metaTags((await page(media.id)).html).get('og:image') ?? '';
      expect(og).toBe(socialSrc(media));
      const response = await fetch(og);
      expect(response.status, og).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      const bytes = Buffer.from(await response.arrayBuffer());
      const meta = await sharp(bytes).metadata();
      expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({
        format: 'jpeg',
        width: 1200,
        height: 630,
      });
      expect(meta.hasAlpha).toBe(false);
    }
  });

  it('HTML-escapes the name everywhere it appears', async () => {
    const name = `<script>alert("x")</script> & 'quotes'`;
    const media = await upload(await images.png(40, 30), { name });
    expect(media.name).toBe(name);
    const { status, html } = await page(media.id);
    expect(status).toBe(200);
    // The only scripts are the page's own modules (CSP: script-src 'self'); the name's tag is text.
    expect(html).not.toContain('<script>');
    for (const tag of html.match(/<script[^>]*>/g) ?? []) {
      expect(tag).toMatch(/^<script type="module" src="\/assets\/[0-9a-f]+\/[a-z-]+\.js">$/);
    }
    expect(html).not.toContain(`"x"`);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;');
    const tags = metaTags(html);
    expect(tags.get('og:title')).toBe(name);
    expect(tags.get('twitter:title')).toBe(name);
    expect(html).toContain(`<title>&lt;script&gt;`);
  });

  it('private media → 404, also for its owner; public again → 200', async () => {
    const media = await upload(await images.jpeg(64, 48), { public: 'false' });
    const response = await page(media.id);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.html).not.toContain(media.src);
    const owned = await fetch(`${server.url}/i/${media.id}`, {
      headers: { authorization: `Bearer ${owner.key}` },
    });
    expect(owned.status).toBe(404);
    const patched = await server.request('PATCH', `/v1/media/${media.id}`, {
      key: owner.key,
      json: { public: true },
    });
    expect(patched.status, patched.text).toBe(200);
    expect((await page(media.id)).status).toBe(200);
  });

  it('unknown, malformed, deleted and expired → 404', async () => {
    for (const id of ['ZZZZZZZZ', 'short', 'x'.repeat(60), '..%2F..%2Fetc']) {
      expect((await page(id)).status, id).toBe(404);
    }
    const deleted = await upload(await images.jpeg(64, 48));
    expect((await page(deleted.id)).status).toBe(200);
    expect((await server.request('DELETE', `/v1/media/${deleted.id}`, { key: owner.key })).status).toBe(200);
    expect((await page(deleted.id)).status).toBe(404);

    const expiring = await upload(await images.jpeg(64, 48), { ttl: '300' });
    expect((await page(expiring.id)).status).toBe(200);
    await server.services.store.db
      .updateTable('media')
      .set({ expires_at: Date.now() - 1000 })
      .where('id', '=', expiring.id)
      .execute();
    expect((await page(expiring.id)).status).toBe(404);
  });
});
