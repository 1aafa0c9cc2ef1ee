// The web pages over real HTTP (docs/web.md): every page of the registry, its headers (CSP without inline code),
// HTML error pages for browsers and JSON envelopes for API clients, the assets, the JavaScript budget, and docs
// pages that are generated from the server's own registries and settings.

import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog, itemErrorCatalog } from '../src/errors/catalog.ts';
import { PRESETS } from '../src/imaging/enhance/presets.ts';
import { assetFile } from '../src/web/assets.ts';
import { PAGES } from '../src/web/pages/index.ts';
import { createAccount } from './support/fixtures.ts';
import { startTestServer, type TestResponse, type TestServer } from './support/test-server.ts';
import { BROWSER_ACCEPT, signIn } from './support/web-session.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    LIGHTBOX_PLANS: 'hobby:250:2048:Hobby,studio:9000:102400:Studio',
    LIGHTBOX_DEFAULT_PLAN: 'hobby',
    LIGHTBOX_SUPPORT_URL: 'https://help.example.test/lightbox',
    LIGHTBOX_SUPPORT_EMAIL: 'help@example.test',
    LIGHTBOX_MAX_UPLOAD_MB: '33',
  });
});
afterAll(async () => {
  await server?.close();
});

const browse = (pathname: string, headers: Record<string, string> = {}) =>
  server.request('GET', pathname, { headers: { accept: BROWSER_ACCEPT, ...headers } });

/** The headers and markup every HTML page must have: strict CSP, no inline script or style anywhere. */
function expectSafePage(response: TestResponse, label: string) {
  expect(response.headers.get('content-type'), label).toBe('text/html; charset=utf-8');
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp, label).toMatch(/default-src 'none'/);
  expect(csp, label).toMatch(/frame-ancestors 'none'/);
  expect(csp, label).toMatch(/form-action 'self'/);
  expect(csp, label).toMatch(/style-src 'self'(;|$)/);
  expect(csp, label).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  if (/<script/.test(response.text)) expect(csp, label).toMatch(/script-src 'self'(;|$)/);
  else expect(csp, label).not.toMatch(/script-src/);
  expect(response.headers.get('x-content-type-options'), label).toBe('nosniff');
  expect(response.headers.get('x-frame-options'), label).toBe('DENY');
  expect(response.text, label).toMatch(/^<!doctype html>\n<html lang="en">/);
  // No inline code: every script has a src, no style element or attribute, no inline event handler.
  for (const tag of response.text.match(/<script[^>]*>/g) ?? [])
    expect(tag, label).toMatch(/ src="\/assets\//);
  expect(response.text, label).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  // Landmarks and the skip link every page has.
  expect(response.text, label).toContain('<a class="skip-link" href="#main">Skip to content</a>');
  expect(response.text, label).toContain('<main id="main" tabindex="-1">');
  expect((response.text.match(/<h1[\s>]/g) ?? []).length, `${label}: one h1`).toBe(1);
  const ids = [...response.text.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  expect(
    ids.filter((id, i) => ids.indexOf(id) !== i),
    `${label}: ids used twice`,
  ).toEqual([]);
}

describe('the page registry', () => {
  it('has unique paths, and every public page without parameters answers 200, cacheable and safe', async () => {
    const paths = PAGES.map((p) => p.path);
    expect(new Set(paths).size).toBe(paths.length);
    const plain = PAGES.filter((p) => p.access === 'public' && !p.path.includes(':'));
    expect(plain.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        '/',
        '/docs/quick-start',
        '/docs/errors',
        '/docs/presets',
        '/docs/webhooks',
        '/docs/limits',
        '/sign-in',
      ]),
    );
    for (const page of plain) {
      const response = await browse(page.path);
      // Pages behind links without their parameters explain themselves (400), never fail.
      const expected = ['/verify', '/approve-key', '/sign-in/continue'].includes(page.path) ? 400 : 200;
      expect(response.status, page.path).toBe(expected);
      expectSafePage(response, page.path);
      const cache = response.headers.get('cache-control');
      expect(cache, page.path).toBe(
        page.access === 'public' && (page.cache ?? 'public') === 'public'
          ? 'public, max-age=300'
          : 'no-store',
      );
      // API clients asking for the same URL get the same page: pages are not API routes.
      expect((await server.request('GET', page.path)).status, page.path).toBe(expected);
    }
  });

  it('owner pages send a browser without a session to sign in, and answer signed-in owners, never cached', async () => {
    const owner = await createAccount(server, { verified: true });
    const session = await signIn(server, owner.email);
    // Pages with parameters (one image, one batch) are opened with real ids in test/web-dashboard-pages.test.ts.
    for (const page of PAGES.filter((p) => p.access === 'owner' && !p.path.includes(':'))) {
      const gate = await browse(page.path);
      expect(gate.status, page.path).toBe(302);
      expect(gate.headers.get('location')).toBe(`/sign-in?next=${encodeURIComponent(page.path)}`);
      const response = await browse(page.path, { cookie: session.cookie });
      expect(response.status, page.path).toBe(200);
      expectSafePage(response, page.path);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.text).toContain(owner.email);
      expect(response.text).toContain(`<meta name="csrf-token" content="${session.csrf}">`);
      expect(response.text).toContain(`<input type="hidden" name="csrf" value="${session.csrf}">`);
    }
  });

  it('every local link of every page leads somewhere (the API reference page belongs to the docs part)', async () => {
    const owner = await createAccount(server, { verified: true });
    const session = await signIn(server, owner.email);
    const seen = new Set<string>();
    for (const page of PAGES.filter((p) => !p.path.includes(':'))) {
      const response = await browse(page.path, page.access === 'owner' ? { cookie: session.cookie } : {});
      for (const [, href] of response.text.matchAll(/href="(\/[^"#]*)/g)) {
        if (href) seen.add(href.replaceAll('&amp;', '&'));
      }
    }
    seen.delete('/docs/api');
    expect(seen.size).toBeGreaterThan(10);
    for (const href of seen) {
      const response = await browse(href, { cookie: session.cookie });
      expect([200, 302], href).toContain(response.status);
    }
  });
});

describe('errors: HTML for browsers, envelopes for API clients', () => {
  const cases = [
    { path: '/no/such/page', status: 404, code: 'not_found', json: (b: TestResponse['body']) => b.error },
    {
      path: '/v1/media/ZZZZZZZZ',
      status: 404,
      code: 'not_found',
      json: (b: TestResponse['body']) => b.error,
    },
    { path: '/v1/usage', status: 401, code: 'unauthorized', json: (b: TestResponse['body']) => b.error },
    {
      path: '/api/v1/product-image-enhancements',
      status: 401,
      code: 'missing_api_key',
      json: (b: TestResponse['body']) => b.error.code,
    },
    {
      path: '/dashboard/api/keys',
      status: 401,
      code: 'sign_in_required',
      json: (b: TestResponse['body']) => b.error.code,
    },
  ];

  it.each(cases)(
    '$path → $status: a page for a browser, the envelope otherwise',
    async ({ path: p, status, code, json }) => {
      const page = await browse(p);
      expect(page.status).toBe(status);
      expectSafePage(page, p);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.text).toContain(`<code>${code}</code>`);
      expect(page.text).toContain(page.headers.get('x-request-id') as string);
      for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/html;q=0.9']) {
        const api = await server.request('GET', p, accept ? { headers: { accept } } : {});
        expect(api.status, `${p} ${accept}`).toBe(status);
        expect(api.headers.get('content-type'), `${p} ${accept}`).toMatch(/^application\/json/);
        expect(json(api.body), `${p} ${accept}`).toBe(code);
      }
    },
  );

  it('a 429 page says when to try again; pages name the configured support contacts', async () => {
    const limited = await startTestServer({ LIGHTBOX_ANON_UPLOADS_PER_HOUR: '1' });
    try {
      const body = () => {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array([0x89, 0x50])]), 'x.png');
        return form;
      };
      await limited.request('POST', '/v1/upload', { body: body() });
      const page = await limited.request('POST', '/v1/upload', {
        body: body(),
        headers: { accept: BROWSER_ACCEPT },
      });
      expect(page.status).toBe(429);
      expect(page.text).toMatch(/Try again in \d+ minutes?\./);
      expect(page.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await limited.close();
    }
    const upgrade = server.services.links.create({ purpose: 'upgrade', subject: 'acc_x', plan: 'studio' });
    const page = await browse(new URL(upgrade).pathname + new URL(upgrade).search);
    expect(page.status).toBe(200);
    expect(page.text).toContain('href="https://help.example.test/lightbox"');
    expect(page.text).toContain('href="mailto:help@example.test"');
  });
});

describe('assets', () => {
  const cssPath = async () =>
    /href="(\/assets\/[0-9a-f]+\/app\.css)"/.exec((await browse('/')).text)?.[1] as string;

  it('are cached for a year under versioned URLs, with strong ETags and 304s', async () => {
    const css = await cssPath();
    const first = await server.request('GET', css);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/css/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"[0-9a-f]{20}"$/);
    const again = await server.request('GET', css, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const js = await server.request('GET', css.replace('app.css', 'keys.js'));
    expect(js.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
  });

  it('another version, an unknown name or a path outside the folder is a 404', async () => {
    const css = await cssPath();
    for (const p of [
      css.replace(/assets\/[0-9a-f]+/, 'assets/000000000000'),
      css.replace('app.css', 'nope.css'),
      css.replace('app.css', '..%2Fweb-routes.ts'),
      css.replace('app.css', '%2E%2E%2F%2E%2E%2Fpackage.json'),
    ]) {
      expect((await server.request('GET', p)).status, p).toBe(404);
    }
  });

  it('every page’s JavaScript (its modules and all they import) stays under 100 KB gzipped', async () => {
    const owner = await createAccount(server, { verified: true });
    const session = await signIn(server, owner.email);
    const weights = new Map<string, number>();
    for (const page of PAGES.filter((p) => !p.path.includes(':'))) {
      const response = await browse(page.path, page.access === 'owner' ? { cookie: session.cookie } : {});
      const scripts = [
        ...response.text.matchAll(/<script type="module" src="\/assets\/[0-9a-f]+\/([^"]+)">/g),
      ];
      const bytes = [...moduleGraph(scripts.map((m) => m[1] as string))].reduce(
        (sum, name) => sum + gzipSync(readFileSync(assetFile(name) as string)).length,
        0,
      );
      weights.set(page.path, bytes);
      expect(bytes, `${page.path}: ${bytes} bytes of gzipped JavaScript`).toBeLessThan(100 * 1024);
    }
    // The heaviest page is the usage page (the uPlot charts); pages without charts stay small.
    expect(Math.max(...weights.values())).toBeGreaterThan(0);
    expect(weights.get('/media')).toBeLessThan(20 * 1024);
  });
});

/** The asset modules `names` load, with everything they import (relative `./x.js` imports), by name. */
function moduleGraph(names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    const file = assetFile(name);
    expect(file, `asset ${name}`).toBeDefined();
    seen.add(name);
    const source = readFileSync(file as string, 'utf8');
    for (const [, imported] of source.matchAll(
      /^\s*import\s+(?:[^'";]*?\s+from\s+)?['"]\.\/([^'"]+)['"]/gm,
    )) {
      if (imported) visit(imported);
    }
  };
  for (const name of names) visit(name);
  return seen;
}

describe('docs pages come from the server’s own registries and settings', () => {
  it('/docs/errors lists every catalog code and item code', async () => {
    const page = await browse('/docs/errors');
    for (const code of Object.keys(catalog)) {
      expect(page.text, code).toContain(`<tr id="${code}"><th scope="row"><code>${code}</code>`);
    }
    for (const code of Object.keys(itemErrorCatalog)) {
      expect(page.text, code).toContain(`<tr id="item-${code}"><th scope="row"><code>${code}</code>`);
    }
  });

  it('/docs/presets lists every enhancement preset', async () => {
    const page = await browse('/docs/presets');
    for (const [id, preset] of Object.entries(PRESETS)) {
      expect(page.text).toContain(`<code>${id}</code>`);
      expect(page.text).toContain(preset.name);
    }
  });

  it('/docs/limits shows this server’s plans and limits', async () => {
    const page = await browse('/docs/limits');
    expect(page.text).toContain('Hobby <span class="muted">(new accounts)</span>');
    expect(page.text).toContain('<td>9,000</td><td>100 GB</td>');
    expect(page.text).toContain('<td>33 MB</td>');
  });

  it('/ and /docs/quick-start use this server’s public URL in every command', async () => {
    for (const p of ['/', '/docs/quick-start']) {
      const page = await browse(p);
      expect(page.text).toContain(`curl -s -X POST ${server.url}/v1/keys`);
      expect(page.text).not.toContain('localhost');
    }
    const quick = await browse('/docs/quick-start');
    expect(quick.text).toContain(`${server.url}/api/v1/product-image-enhancements`);
  });

  it('/docs/webhooks shows how to verify both signature schemes', async () => {
    const page = await browse('/docs/webhooks');
    for (const text of [
      'X-Aigen-Signature',
      'x-aigen-timestamp',
      'webhook-signature',
      'whsec_',
      'timingSafeEqual',
      'compare_digest',
    ]) {
      expect(page.text).toContain(text);
    }
  });
});
