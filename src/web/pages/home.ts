import { codeBlock } from '../components.ts';
import { html } from '../html.ts';
import type { PageContext, PageView, PublicPage } from '../page.ts';

/** `/`: what this server is, and its own URLs for everything a newcomer needs. */
function render(ctx: PageContext): PageView {
  const { publicUrl, srcBase } = ctx.services.config;
  return {
    title: 'Lightbox',
    documentTitle: 'Lightbox: image hosting and product image enhancement',
    scripts: ['copy.js'],
    main: html`<div class="hero"><h1>Lightbox</h1>
<p class="lead">This server hosts images and turns product photos into clean catalog images, over two HTTP APIs: one compatible with the img.pro API, one with the AI Gen Studio product-image-enhancement API. Clients written for either work here unchanged.</p></div>
<div class="cards">
<section class="card" aria-labelledby="get-key"><h2 id="get-key">Get a key</h2>
<p>One request with your email address; the answer holds your key.</p>
${codeBlock(`curl -s -X POST ${publicUrl}/v1/keys \\\n  -H 'content-type: application/json' \\\n  -d '{"email": "you@example.com"}'`, 'Get a key')}
<p><a class="button primary" href="/docs/quick-start">Quick start</a></p></section>
<section class="card" aria-labelledby="dashboard"><h2 id="dashboard">Dashboard</h2>
<p>Account owners sign in with a link emailed to them, then create, revoke and approve keys.</p>
<p><a class="button" href="/dashboard">Open the dashboard</a></p></section>
<section class="card" aria-labelledby="reference"><h2 id="reference">Reference</h2>
<ul><li><a href="/docs/api">API reference</a></li><li><a href="/docs/errors">Errors</a></li><li><a href="/docs/presets">Presets</a></li><li><a href="/docs/webhooks">Webhooks</a></li><li><a href="/docs/limits">Limits</a></li></ul></section>
<section class="card" aria-labelledby="this-server"><h2 id="this-server">This server</h2>
<dl class="facts"><dt>Hosting API</dt><dd><code>${publicUrl}/v1</code></dd><dt>Enhancement API</dt><dd><code>${publicUrl}/api/v1</code></dd><dt>Images</dt><dd><code>${srcBase}</code></dd></dl>
<p><a href="/readyz">Status</a> · <a href="/openapi.json">OpenAPI document</a></p></section>
</div>`,
  };
}

export const HOME_PAGE: PublicPage = { path: '/', area: 'site', access: 'public', render };

/** `/docs`: the documentation's table of contents. */
export const DOCS_INDEX_PAGE: PublicPage = {
  path: '/docs',
  area: 'docs',
  access: 'public',
  render: () => ({
    title: 'Documentation',
    main: html`<h1>Documentation</h1>
<ul class="doc-list">
<li><a href="/docs/quick-start">Quick start</a>: both APIs step by step with <code>curl</code>.</li>
<li><a href="/docs/api">API reference</a>: every route, field and answer.</li>
<li><a href="/docs/errors">Errors</a>: every code, and what to do about it.</li>
<li><a href="/docs/presets">Presets</a>: enhancement presets and image sizes.</li>
<li><a href="/docs/webhooks">Webhooks</a>: events, and verifying both signatures.</li>
<li><a href="/docs/limits">Limits</a>: plans, sizes and rates of this server.</li>
</ul>`,
  }),
};
