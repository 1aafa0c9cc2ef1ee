import { codeBlock, heading } from '../components.ts';
import { html } from '../html.ts';
import type { PageContext, PageView, PublicPage } from '../page.ts';

/** `/docs/webhooks`: the events, the two signature schemes and how to verify each, with code. */
const EVENTS = [
  ['enhancement.item.completed', 'an item finished; data.item has its result_url'],
  ['enhancement.item.failed', 'an item failed; data.item has its error_code and error_message'],
  ['enhancement.completed', 'every item completed'],
  ['enhancement.partially_completed', 'the batch finished, some items failed'],
  ['enhancement.failed', 'every item failed'],
] as const;

const NODE_PUBLISHED = `import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// The key is the lowercase hex SHA-256 of the full API key that created the batch.
const signingKey = createHash('sha256').update(process.env.LIGHTBOX_KEY).digest('hex');

/** rawBody: the request body exactly as received (a string or Buffer), before any JSON parsing. */
export function verifyLightboxWebhook(rawBody, headers) {
  const id = headers['x-aigen-event-id'];
  const timestamp = headers['x-aigen-timestamp'];
  const given = headers['x-aigen-signature'] ?? '';
  // Refuse old deliveries, so a captured request cannot be replayed later.
  if (!id || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = 'v1=' + createHmac('sha256', signingKey).update(\`\${timestamp}.\${id}.\${rawBody}\`).digest('hex');
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}`;

const PYTHON_PUBLISHED = `import hashlib, hmac, os, time

signing_key = hashlib.sha256(os.environ["LIGHTBOX_KEY"].encode()).hexdigest().encode()

def verify_lightbox_webhook(raw_body: bytes, headers) -> bool:
    event_id = headers.get("X-Aigen-Event-Id", "")
    timestamp = headers.get("X-Aigen-Timestamp", "0")
    given = headers.get("X-Aigen-Signature", "")
    if not event_id or abs(time.time() - int(timestamp)) > 300:
        return False
    message = f"{timestamp}.{event_id}.".encode() + raw_body
    expected = "v1=" + hmac.new(signing_key, message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given, expected)`;

const NODE_STANDARD = `import { Webhook } from 'standardwebhooks';

// The whsec_ secret shown with the key when it was created in the dashboard.
const webhook = new Webhook(process.env.LIGHTBOX_WEBHOOK_SECRET);

export function verifyLightboxWebhook(rawBody, headers) {
  // Throws when the signature does not match or the timestamp is too old; returns the parsed event.
  return webhook.verify(rawBody, {
    'webhook-id': headers['webhook-id'],
    'webhook-timestamp': headers['webhook-timestamp'],
    'webhook-signature': headers['webhook-signature'],
  });
}`;

const NODE_STANDARD_BY_HAND = `import { createHmac, timingSafeEqual } from 'node:crypto';

const secret = Buffer.from(process.env.LIGHTBOX_WEBHOOK_SECRET.slice('whsec_'.length), 'base64');

export function verifyStandardWebhook(rawBody, headers) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  if (!id || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', secret).update(\`\${id}.\${timestamp}.\${rawBody}\`).digest('base64');
  // The header may list several space-separated signatures (during secret rotation): any may match.
  return (headers['webhook-signature'] ?? '').split(' ').some((entry) => {
    const [version, signature = ''] = entry.split(',');
    return version === 'v1' && signature.length === expected.length &&
      timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  });
}`;

function render(ctx: PageContext): PageView {
  const delays = ctx.services.config.webhookRetryDelays;
  const hours = Math.round((delays.reduce((a, b) => a + b, 0) / 3600) * 10) / 10;
  return {
    title: 'Webhooks',
    scripts: ['copy.js'],
    main: html`${heading('Webhooks', 'Give a batch a webhook_url and this server POSTs an event to it when each item, and then the batch, is done. Every delivery is signed twice, so you can check it with either scheme.')}
<h2 id="events">Events</h2>
<dl class="facts">${EVENTS.map(([type, help]) => html`<dt><code>${type}</code></dt><dd>${help}</dd>`)}</dl>
<p>The body is JSON: <code>{"id": "evt_…", "type", "created_at", "request_id", "data": {"enhancement": {…}, "item"?: {…}}}</code>. Answer with any 2xx within 10 seconds; anything else is retried with backoff for about ${hours} hours (${delays.length + 1} attempts). Redirects are not followed. The same event may arrive twice: use its <code>id</code> to ignore repeats.</p>

<h2 id="published">Scheme 1: X-Aigen-Signature (published scheme)</h2>
<p>Headers <code>X-Aigen-Event-Id</code>, <code>X-Aigen-Timestamp</code> (Unix seconds) and <code>X-Aigen-Signature: v1=&lt;hex&gt;</code>: the HMAC-SHA256 of <code>&lt;timestamp&gt;.&lt;event id&gt;.&lt;raw body&gt;</code>, keyed with the lowercase hex SHA-256 of the full API key that created the batch.</p>
${codeBlock(NODE_PUBLISHED, 'Verify X-Aigen-Signature in Node.js')}
${codeBlock(PYTHON_PUBLISHED, 'Verify X-Aigen-Signature in Python')}

<h2 id="standard">Scheme 2: Standard Webhooks</h2>
<p>Headers <code>webhook-id</code>, <code>webhook-timestamp</code> and <code>webhook-signature: v1,&lt;base64&gt;</code>, with the secret <code>whsec_&lt;base64 of the raw SHA-256 of the API key&gt;</code>. The dashboard shows that secret once, with the key; the Standard Webhooks libraries (for most languages) verify deliveries as they are.</p>
${codeBlock(NODE_STANDARD, 'Verify with the standardwebhooks library')}
<p>Or by hand:</p>
${codeBlock(NODE_STANDARD_BY_HAND, 'Verify Standard Webhooks by hand in Node.js')}

<h2 id="tips">Tips</h2>
<ul><li>Verify against the raw body: parsing and re-serialising JSON changes the bytes.</li>
<li>Compare in constant time (<code>timingSafeEqual</code>, <code>hmac.compare_digest</code>).</li>
<li>Rotating the key changes both secrets: batches created before keep the old key's secret.</li></ul>`,
  };
}

export const WEBHOOKS_PAGE: PublicPage = {
  path: '/docs/webhooks',
  area: 'docs',
  access: 'public',
  nav: { label: 'Webhooks', order: 40 },
  render,
};
