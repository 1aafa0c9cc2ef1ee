import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog, itemErrorCatalog } from '../src/errors/catalog.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// biome-ignore lint/suspicious/noExplicitAny: the document is read as plain JSON.
type Json = any;

const PUBLIC_URL = 'https://img.lightbox.example';

let server: TestServer;
let operations: { method: string; path: string; operationId: string }[];
beforeAll(async () => {
  server = await startTestServer({ LIGHTBOX_PUBLIC_URL: PUBLIC_URL, LIGHTBOX_KEY_PREFIX: 'lbx' });
  const doc = (await server.request('GET', '/openapi.json')).body;
  operations = Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    ['get', 'post', 'patch', 'delete']
      .filter((method) => item[method])
      .map((method) => ({ method: method.toUpperCase(), path, operationId: item[method].operationId })),
  );
});
afterAll(async () => {
  await server.close();
});

describe('/docs/api', () => {
  it('is a page that loads the reference renderer from this server only, under a same-origin CSP', async () => {
    const page = await server.request('GET', '/docs/api');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-|https?:|\*/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    // No inline script or style: everything the page loads is a file of this server.
    expect(page.text).not.toMatch(/<script>|<style|\sstyle=|\son\w+=/i);
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(page.text).toContain('data-spec="/openapi.json"');

    const assets = [...page.text.matchAll(/(?:src|href)="(\/docs\/api\/assets\/[^"]+)"/g)].map(
      (m) => m[1] ?? '',
    );
    expect(assets).toHaveLength(4);
    for (const asset of assets) {
      const response = await server.request('GET', asset);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('content-type'), asset).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      expect(response.headers.get('cache-control'), asset).toBe('public, max-age=31536000, immutable');
      expect(response.text.length, asset).toBeGreaterThan(0);
      const again = await server.request('GET', asset, {
        headers: { 'if-none-match': response.headers.get('etag') ?? '' },
      });
      expect(again.status, asset).toBe(304);
    }
    const bundle = assets.find((a) => a.endsWith('swagger-ui-bundle.js')) ?? '';
    expect(bundle).toMatch(/^\/docs\/api\/assets\/\d+\.\d+\.\d+\/swagger-ui-bundle\.js$/);
    const plain = await server.request('GET', bundle);
    expect(plain.text).toContain('SwaggerUIBundle');
    expect(plain.text).not.toContain('sourceMappingURL');
    const gzipped = await fetch(`${server.url}${bundle}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    // fetch inflates it: the bytes are the same file.
    expect(await gzipped.text()).toBe(plain.text);
  });

  it('serves nothing else from the package: other names are 404', async () => {
    const page = await server.request('GET', '/docs/api');
    const prefix = /\/docs\/api\/assets\/[^/]+\//.exec(page.text)?.[0] ?? '';
    for (const name of ['index.html', 'swagger-initializer.js', 'package.json', '..%2Fpackage.json', 'x']) {
      const response = await server.request('GET', `${prefix}${name}`);
      expect(response.status, name).toBe(404);
    }
  });
});

describe('/llms.txt and /llms-full.txt', () => {
  it('follow the llms.txt format: H1, blockquote, then sections of link lists', async () => {
    const response = await server.request('GET', '/llms.txt');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const lines = response.text.split('\n');
    expect(lines[0]).toMatch(/^# \S/);
    expect(lines.filter((l) => l.startsWith('# '))).toHaveLength(1);
    expect(lines[2]).toMatch(/^> \S/);
    const firstSection = lines.findIndex((l) => l.startsWith('## '));
    // Before the first section: text, no headings.
    expect(lines.slice(1, firstSection).some((l) => l.startsWith('#'))).toBe(false);
    const sections = response.text.slice(response.text.indexOf('\n## ')).split(/\n## /).slice(1);
    expect(sections.map((s) => s.split('\n')[0])).toEqual(
      expect.arrayContaining([
        'Docs',
        'Hosting API (/v1)',
        'Enhancement API (/api/v1)',
        'Operator API (/admin/v1)',
        'Errors',
      ]),
    );
    for (const section of sections) {
      const items = section.split('\n').slice(1).filter(Boolean);
      expect(items.length, section).toBeGreaterThan(0);
      for (const item of items) expect(item, section).toMatch(/^- \[[^\]]+\]\([^)]+\)(: .+)?$/);
    }
    // Quick start and auth, with this server's key prefix.
    expect(response.text).toContain('Authorization: Bearer <key>');
    expect(response.text).toContain('lbx_live_');
    expect(response.text).toContain(`curl -s -X POST ${PUBLIC_URL}/v1/keys`);
  });

  it('list every operation, and link only to this server’s public URL', async () => {
    const index = (await server.request('GET', '/llms.txt')).text;
    const full = (await server.request('GET', '/llms-full.txt')).text;
    expect(operations.length).toBeGreaterThan(25);
    for (const { method, path, operationId } of operations) {
      expect(index).toContain(`[${method} ${path}](${PUBLIC_URL}/docs/api#/`);
      expect(index).toContain(`/${operationId})`);
      expect(full).toContain(`### ${method} ${path}\n`);
      expect(full).toContain(`\`${operationId}\``);
    }
    for (const text of [index, full]) {
      const urls = [...text.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1] ?? '');
      expect(urls.length).toBeGreaterThan(0);
      for (const url of urls) {
        if (url.startsWith('#')) continue;
        expect(url.startsWith(`${PUBLIC_URL}/`), url).toBe(true);
      }
      expect(text).not.toMatch(/127\.0\.0\.1|localhost/);
    }
  });

  it('the full text carries the request and response details, every error code and the API guide', async () => {
    const full = (await server.request('GET', '/llms-full.txt')).text;
    expect(full.split('\n')[0]).toMatch(/^# \S/);
    expect(full).toContain('- `Idempotency-Key` (header, string, required)');
    expect(full).toContain('Body (`multipart/form-data`):');
    expect(full).toContain('- `file` (string (binary), required)');
    expect(full).toContain('### Media\n');
    for (const [code, entry] of Object.entries(catalog)) {
      expect(full, code).toContain(
        `| \`${code}\` | ${entry.status} | ${entry.message} | ${entry.handling} |`,
      );
    }
    for (const [code, entry] of Object.entries(itemErrorCatalog)) {
      expect(full, code).toContain(`| \`${code}\` | ${entry.message} | ${entry.handling} |`);
    }
    // docs/api.md, one heading level down, links to other project files reduced to their text.
    expect(full).toContain('## Lightbox HTTP API');
    expect(full).toContain('#### 3.5 Webhooks');
    expect(full).not.toMatch(/\]\([^)]*\.md[)#]/);
  });
});
