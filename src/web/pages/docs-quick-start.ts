import { codeBlock, heading } from '../components.ts';
import { html } from '../html.ts';
import type { PageContext, PageView, PublicPage } from '../page.ts';

/** `/docs/quick-start`: both API families step by step with `curl`, against this server's own URL. */
function render(ctx: PageContext): PageView {
  const { publicUrl, keyPrefix, creditsPerImage } = ctx.services.config;
  const key = `${keyPrefix}_live_…`;
  const testKey = `${keyPrefix}_test_…`;
  return {
    title: 'Quick start',
    scripts: ['copy.js'],
    main: html`${heading('Quick start', html`Everything below runs against this server, <code>${publicUrl}</code>. You need <code>curl</code> and an email address you can read.`)}
<nav aria-label="On this page" class="toc"><ul><li><a href="#hosting">Hosting images (<code>/v1</code>)</a></li><li><a href="#enhancement">Enhancing product photos (<code>/api/v1</code>)</a></li><li><a href="#next">Next</a></li></ul></nav>

<h2 id="hosting">Hosting images (<code>/v1</code>)</h2>
<p>The hosting API is compatible with the img.pro API: clients written for it work here unchanged.</p>
<h3>1. Get a key</h3>
<p>Ask for a key with your email address. The answer holds the key: store it, it is shown once. A verification email follows; verifying makes your uploads permanent.</p>
${codeBlock(`curl -s -X POST ${publicUrl}/v1/keys \\\n  -H 'content-type: application/json' \\\n  -d '{"email": "you@example.com", "name": "laptop"}'`, 'Get a key')}
<p>Already have an account? <a href="/sign-in">Sign in</a> and create keys in the <a href="/keys">dashboard</a>.</p>
<h3>2. Upload an image</h3>
${codeBlock(`export LIGHTBOX_KEY=${key}\ncurl -s ${publicUrl}/v1/upload \\\n  -H "authorization: Bearer $LIGHTBOX_KEY" \\\n  -F file=@photo.jpg -F name="Harbour at dusk" -F tags=travel,sea`, 'Upload')}
<p>The answer is the media object: <code>url</code> is its page on this server, <code>src</code> the image itself, and <code>sizes</code> small, medium and large copies. Without a key the upload works too, but expires after ${ctx.services.config.anonRetentionDays} days.</p>
<h3>3. Use the image</h3>
<p>Put <code>src</code> in an <code>&lt;img&gt;</code>. Change the extension for another format, add <code>?w=</code>, <code>?h=</code>, <code>?fit=</code>, <code>?q=</code> or <code>?size=s|m|l|social</code> for another size: each rendition is made once and cached.</p>
${codeBlock(`curl -s -o photo.webp "<src with .webp instead of .jpg>?w=800"`, 'Fetch a rendition')}
<h3>4. List, change and delete</h3>
${codeBlock(`curl -s "${publicUrl}/v1/media?limit=10&tags=travel" -H "authorization: Bearer $LIGHTBOX_KEY"\ncurl -s -X PATCH ${publicUrl}/v1/media/<id> -H "authorization: Bearer $LIGHTBOX_KEY" \\\n  -H 'content-type: application/json' -d '{"public": false}'\ncurl -s -X DELETE ${publicUrl}/v1/media/<id> -H "authorization: Bearer $LIGHTBOX_KEY"\ncurl -s ${publicUrl}/v1/usage -H "authorization: Bearer $LIGHTBOX_KEY"`, 'Manage media')}

<h2 id="enhancement">Enhancing product photos (<code>/api/v1</code>)</h2>
<p>The enhancement API is compatible with the AI Gen Studio product-image-enhancement API. Start with a <strong>test</strong> key: test batches are free, run the same pipeline and never touch live data.</p>
<h3>1. Get a test key</h3>
${codeBlock(`curl -s -X POST ${publicUrl}/v1/keys \\\n  -H 'content-type: application/json' \\\n  -d '{"email": "you@example.com", "name": "sandbox", "environment": "test"}'`, 'Get a test key')}
<h3>2. See the presets</h3>
${codeBlock(`curl -s ${publicUrl}/api/v1/product-image-enhancement-presets`, 'List presets')}
<h3>3. Create a batch</h3>
<p>Up to 20 images per batch. <code>Idempotency-Key</code> makes a retry of the same request safe: it never creates a second batch.</p>
${codeBlock(`export LIGHTBOX_TEST_KEY=${testKey}\ncurl -s -X POST ${publicUrl}/api/v1/product-image-enhancements \\\n  -H "authorization: Bearer $LIGHTBOX_TEST_KEY" \\\n  -H "idempotency-key: batch-$(date +%s)" \\\n  -H 'content-type: application/json' \\\n  -d '{"images": [{"source_url": "https://example.com/product.jpg", "external_id": "sku-1"}],\n       "preset": "single_product_white_background",\n       "webhook_url": "https://your-app.example.com/hooks/lightbox"}'`, 'Create a batch')}
<h3>4. Wait for the result</h3>
<p>Poll the batch until its <code>status</code> is <code>completed</code>, <code>partially_completed</code> or <code>failed</code>, or let the webhook tell you (see <a href="/docs/webhooks">verifying webhooks</a>). Each item's <code>result_url</code> is an image URL with every size and format option.</p>
${codeBlock(`curl -s ${publicUrl}/api/v1/product-image-enhancements/<id> \\\n  -H "authorization: Bearer $LIGHTBOX_TEST_KEY"`, 'Poll a batch')}
<p>Test your error handling: a <code>source_url</code> ending in <code>#simulate=download_timeout</code> (or any <a href="/docs/errors#item-codes">item error code</a>) fails that item with that code.</p>
<h3>5. Go live</h3>
<p>Live keys need a verified email and paid credits (${creditsPerImage} per image); the operator of this server grants them. Then use a live key with the same requests.</p>

<h2 id="next">Next</h2>
<ul><li><a href="/docs/api">API reference</a>: every route, field and answer.</li><li><a href="/docs/errors">Errors</a>: every code, and what to do about it.</li><li><a href="/docs/limits">Limits</a> of this server.</li></ul>`,
  };
}

export const QUICK_START_PAGE: PublicPage = {
  path: '/docs/quick-start',
  area: 'docs',
  access: 'public',
  nav: { label: 'Quick start', order: 10 },
  render,
};
