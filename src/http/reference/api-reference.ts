import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { escapeHtml } from '../../web/html.ts';

/**
 * The API reference page (`/docs/api`): Swagger UI, from the `swagger-ui-dist` package on this server (no CDN),
 * rendering `/openapi.json`. Swagger UI was chosen because it runs under a CSP that allows only this origin
 * (no inline script or style element; Redoc and Scalar inject style elements) and has no dependencies to install
 * (docs/decisions.md).
 */

const require = createRequire(import.meta.url);
const DIST_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const { version: DIST_VERSION } = require('swagger-ui-dist/package.json') as { version: string };

export const REFERENCE_PATH = '/docs/api';
/** Versioned: a new swagger-ui-dist is a new URL, so the files can be cached for good. */
export const ASSET_PREFIX = `${REFERENCE_PATH}/assets/${DIST_VERSION}/`;

/** Starts Swagger UI on the page; a file of its own, because the CSP allows no inline script. */
const INIT_SCRIPT = `"use strict";
window.addEventListener("load", function () {
  var root = document.getElementById("reference");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    domNode: root,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true,
    filter: true,
    tryItOutEnabled: false,
    persistAuthorization: false
  });
});
`;

const PAGE_STYLE = `body{margin:0;background:#fafafa}
.reference-header{font:14px/1.5 system-ui,sans-serif;padding:.75rem 1.25rem;background:#1b1b1f;color:#f2f2f2}
.reference-header a{color:#9ecbff;margin-right:1rem}
.reference-header strong{margin-right:1.5rem}
`;

/** Files the page loads: name → where it comes from and its media type. */
const ASSETS: Record<string, { type: string; load: () => Promise<Buffer> }> = {
  'swagger-ui-bundle.js': {
    type: 'text/javascript; charset=utf-8',
    // Without its source-map comment: the map is not served.
    load: async () =>
      Buffer.from(
        (await readFile(path.join(DIST_DIR, 'swagger-ui-bundle.js'), 'utf8')).replace(
          /\n\/\/# sourceMappingURL=\S+\s*$/,
          '\n',
        ),
      ),
  },
  'swagger-ui.css': {
    type: 'text/css; charset=utf-8',
    load: async () =>
      Buffer.from(
        (await readFile(path.join(DIST_DIR, 'swagger-ui.css'), 'utf8')).replace(
          /\/\*# sourceMappingURL=\S+\s*\*\/\s*$/,
          '',
        ),
      ),
  },
  'reference.js': { type: 'text/javascript; charset=utf-8', load: async () => Buffer.from(INIT_SCRIPT) },
  'reference.css': { type: 'text/css; charset=utf-8', load: async () => Buffer.from(PAGE_STYLE) },
};

export interface Asset {
  type: string;
  body: Buffer;
  gzipped: Buffer;
  etag: string;
}

const loaded = new Map<string, Promise<Asset>>();

/** An asset of the page, read and compressed once; `undefined` for any other name. */
export function referenceAsset(name: string): Promise<Asset> | undefined {
  const source = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!source) return undefined;
  let asset = loaded.get(name);
  if (!asset) {
    asset = (async () => {
      const body = await source.load();
      return {
        type: source.type,
        body,
        gzipped: await promisify(gzip)(body),
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      };
    })();
    // A failed read is not remembered: the next request tries again.
    asset.catch(() => loaded.delete(name));
    loaded.set(name, asset);
  }
  return asset;
}

/**
 * Scripts, styles, fonts and the document itself from this origin only; images may be inline (`data:`, Swagger
 * UI's icons); no frames, no forms elsewhere. "Try it out" calls this server, which `connect-src 'self'` allows.
 */
export const REFERENCE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function referencePage(links: { title: string; specUrl: string; llmsUrl: string }): string {
  const asset = (name: string) => escapeHtml(`${ASSET_PREFIX}${name}`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(links.title)}</title>
<link rel="stylesheet" href="${asset('swagger-ui.css')}">
<link rel="stylesheet" href="${asset('reference.css')}">
</head><body>
<header class="reference-header"><strong>${escapeHtml(links.title)}</strong>
<a href="${escapeHtml(links.specUrl)}">OpenAPI (JSON)</a><a href="${escapeHtml(links.specUrl.replace(/\.json$/, '.yaml'))}">YAML</a><a href="${escapeHtml(links.llmsUrl)}">llms.txt</a></header>
<main id="reference" data-spec="${escapeHtml(links.specUrl)}"><noscript><p>This reference needs JavaScript. The document itself: <a href="${escapeHtml(links.specUrl)}">${escapeHtml(links.specUrl)}</a>.</p></noscript></main>
<script src="${asset('swagger-ui-bundle.js')}"></script>
<script src="${asset('reference.js')}"></script>
</body></html>`;
}
