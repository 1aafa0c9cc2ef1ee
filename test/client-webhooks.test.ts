// The client's webhook verifier on real deliveries of the server (both schemes), and on tampered ones.
import { verifyWebhook, WebhookVerificationError, webhookSecret } from 'lightbox/client';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAccount, grantCredits, mintKey } from './support/fixtures.ts';
import { type HttpsReceiver, startHttpsReceiver, testCertificate } from './support/https-receiver.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const cert = testCertificate();
let server: TestServer;
let sources: Awaited<ReturnType<typeof startProductSource>>;
let hook: HttpsReceiver;

beforeAll(async () => {
  sources = await startProductSource();
  hook = await startHttpsReceiver(cert);
  server = await startTestServer({
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
  });
});

afterAll(async () => {
  await hook?.close();
  await server?.close();
  await sources?.close();
});

async function deliveries(): Promise<{ key: string; received: HttpsReceiver['received'] }> {
  const account = await createAccount(server, { verified: true });
  await grantCredits(server, account.id, 500);
  const { key } = await mintKey(server, account.id, { environment: 'live' });
  const response = await server.request('POST', '/api/v1/product-image-enhancements', {
    key,
    headers: { 'idempotency-key': `client-webhooks-${Date.now()}` },
    json: { images: [{ source_url: `${sources.base}/ok.jpg` }], webhook_url: hook.url },
  });
  expect(response.status).toBe(201);
  const deadline = Date.now() + 30_000;
  while (hook.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(hook.received.length).toBe(2);
  return { key, received: hook.received };
}

it('verifies real deliveries by either scheme and refuses tampering, other keys and stale timestamps', async () => {
  const { key, received } = await deliveries();
  const strip = (headers: Record<string, unknown>, prefix: string) =>
    Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(prefix))) as Record<
      string,
      string
    >;
  for (const delivery of received) {
    const headers = delivery.headers as Record<string, string>;
    const event = verifyWebhook({ body: delivery.body, headers, apiKey: key });
    expect(event.type).toMatch(/^enhancement\./);
    expect(event.id).toBe(headers['webhook-id']);
    // Each scheme alone, with the key or with the Standard Webhooks secret; Headers objects too.
    expect(verifyWebhook({ body: delivery.body, headers: strip(headers, 'webhook-'), apiKey: key }).id).toBe(
      event.id,
    );
    expect(verifyWebhook({ body: delivery.body, headers: strip(headers, 'x-aigen-'), apiKey: key }).id).toBe(
      event.id,
    );
    expect(verifyWebhook({ body: delivery.body, headers, secret: webhookSecret(key) }).id).toBe(event.id);
    expect(
      verifyWebhook({ body: Buffer.from(delivery.body), headers: new Headers(headers), apiKey: key }).id,
    ).toBe(event.id);
    // The secret is the one the Standard Webhooks library accepts.
    expect(() => new Webhook(webhookSecret(key)).verify(delivery.body, headers)).not.toThrow();

    const refuse = (input: Parameters<typeof verifyWebhook>[0]) =>
      expect(() => verifyWebhook(input)).toThrow(WebhookVerificationError);
    refuse({ body: `${delivery.body} `, headers, apiKey: key });
    refuse({
      body: delivery.body.replace('"enhancement', '"enhancemenT'),
      headers: strip(headers, 'webhook-'),
      apiKey: key,
    });
    refuse({ body: delivery.body, headers, apiKey: `${key}x` });
    refuse({ body: delivery.body, headers, secret: webhookSecret(`${key}x`) });
    refuse({ body: delivery.body, headers, apiKey: key, now: Date.now() + 3_600_000 });
    refuse({ body: delivery.body, headers: { ...headers, 'x-aigen-signature': 'v1=00' }, apiKey: key });
    // A Standard Webhooks secret cannot check the published scheme: with only its headers there is nothing to check.
    refuse({ body: delivery.body, headers: strip(headers, 'webhook-'), secret: webhookSecret(key) });
    refuse({ body: delivery.body, headers: {}, apiKey: key });
  }
});
