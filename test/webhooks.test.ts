import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount, grantCredits, mintKey } from './support/fixtures.ts';
import {
  type HttpsReceiver,
  type Responder,
  startHttpsReceiver,
  testCertificate,
} from './support/https-receiver.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const cert = testCertificate();
let server: TestServer;
let sources: Awaited<ReturnType<typeof startProductSource>>;
let sourceBase: string;
const receivers: HttpsReceiver[] = [];

beforeAll(async () => {
  sources = await startProductSource();
  sourceBase = sources.base;
  server = await startTestServer({
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
    LIGHTBOX_WEBHOOK_RETRY_DELAYS: '0.2,0.2,0.2,0.2,0.2',
    LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_KEY: '10',
    LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_ACCOUNT: '10',
  });
});

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await server.close();
  await sources.close();
});

async function receiver(respond?: Responder) {
  const r = await startHttpsReceiver(cert, respond);
  receivers.push(r);
  return r;
}

async function liveKey() {
  const account = await createAccount(server, { verified: true });
  await grantCredits(server, account.id, 500);
  return { account, key: (await mintKey(server, account.id, { environment: 'live' })).key };
}

let idem = 0;
async function create(key: string, body: Record<string, unknown>) {
  const response = await server.request('POST', '/api/v1/product-image-enhancements', {
    key,
    headers: { 'idempotency-key': `webhook-test-${++idem}-${Date.now()}` },
    json: body,
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.enhancement.id as string;
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The published scheme, written here independently of the server's code. */
function verifyPublished(apiKey: string, headers: Record<string, unknown>, body: string): boolean {
  const secret = createHash('sha256').update(apiKey).digest('hex');
  const expected = createHmac('sha256', secret)
    .update(`${headers['x-aigen-timestamp']}.${headers['x-aigen-event-id']}.${body}`)
    .digest('hex');
  const given = String(headers['x-aigen-signature'] ?? '').replace(/^v1=/, '');
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

describe('webhooks', () => {
  it('sends item and terminal events with both valid signatures and the documented body', async () => {
    const hook = await receiver();
    const { key } = await liveKey();
    const id = await create(key, {
      images: [
        { source_url: `${sourceBase}/ok.jpg`, external_id: 'sku-1' },
        { source_url: `${sourceBase}/missing.jpg` },
      ],
      webhook_url: hook.url,
    });
    await until(() => (hook.received.length >= 3 ? true : undefined));
    const events = hook.received.map((r) => ({ ...r, json: JSON.parse(r.body) }));
    expect(events.map((e) => e.json.type).sort()).toEqual([
      'enhancement.item.completed',
      'enhancement.item.failed',
      'enhancement.partially_completed',
    ]);
    const standard = new Webhook(`whsec_${createHash('sha256').update(key).digest('base64')}`);
    for (const event of events) {
      expect(verifyPublished(key, event.headers, event.body)).toBe(true);
      expect(verifyPublished(`${key}x`, event.headers, event.body)).toBe(false);
      expect(() => standard.verify(event.body, event.headers as Record<string, string>)).not.toThrow();
      expect(() => standard.verify(`${event.body} `, event.headers as Record<string, string>)).toThrow();
      expect(event.json.id).toMatch(/^evt_/);
      expect(event.headers['x-aigen-event-id']).toBe(event.json.id);
      expect(event.headers['webhook-id']).toBe(event.json.id);
      expect(Math.abs(Number(event.headers['x-aigen-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(event.json.request_id).toMatch(/^req_/);
      expect(event.json.data.enhancement.id).toBe(id);
      expect(event.json.data.enhancement).not.toHaveProperty('items');
      expect(new Date(event.json.created_at).toISOString()).toBe(event.json.created_at);
    }
    const completed = events.find((e) => e.json.type === 'enhancement.item.completed')?.json;
    expect(completed.data.item).toMatchObject({
      external_id: 'sku-1',
      status: 'completed',
      error_code: null,
    });
    expect((await fetch(completed.data.item.result_url)).status).toBe(200);
    const failed = events.find((e) => e.json.type === 'enhancement.item.failed')?.json;
    expect(failed.data.item).toMatchObject({ status: 'failed', error_code: 'source_url_unreachable' });
    const terminal = events.find((e) => e.json.type === 'enhancement.partially_completed')?.json;
    expect(terminal.data.enhancement).toMatchObject({
      status: 'partially_completed',
      completed_items: 1,
      failed_items: 1,
    });
    expect(terminal).not.toHaveProperty('data.item');
  });

  it('retries a failing receiver and delivers on the 4th attempt with the same event id', async () => {
    // Each event fails its first 3 deliveries.
    const seen = new Map<string, number>();
    const hook = await receiver((_count, request) => {
      const id = String(request.headers['webhook-id']);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      return (seen.get(id) ?? 0) <= 3 ? 500 : 200;
    });
    const { key } = await liveKey();
    const id = await create(key, { images: [{ source_url: `${sourceBase}/ok.jpg` }], webhook_url: hook.url });
    const deliveries = await until(async () => {
      const list = await server.admin('GET', `/admin/v1/webhook-deliveries?enhancement_id=${id}`);
      const item = list.body.data.find((d: { type: string }) => d.type === 'enhancement.item.completed');
      return item?.status === 'delivered' ? list.body.data : undefined;
    });
    const item = deliveries.find((d: { type: string }) => d.type === 'enhancement.item.completed');
    expect(item.attempts).toBe(4);
    expect(item.attempt_log.map((a: { outcome: string }) => a.outcome)).toEqual([
      'http_error',
      'http_error',
      'http_error',
      'delivered',
    ]);
    expect(item.attempt_log[0].status_code).toBe(500);
    expect(item.attempt_log[0].response_excerpt).toBe('nope');
    const sameEvent = hook.received.filter((r) => r.headers['x-aigen-event-id'] === item.id);
    expect(sameEvent).toHaveLength(4);
    expect(new Set(sameEvent.map((r) => r.body)).size).toBe(1);
    // Retries wait for their backoff (0.2 s ± 20 % here) instead of hammering the receiver.
    for (let i = 1; i < sameEvent.length; i++) {
      expect((sameEvent[i]?.at ?? 0) - (sameEvent[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(150);
    }
  });

  it('redelivers an event through the operator API with the same id and body', async () => {
    const hook = await receiver();
    const { key } = await liveKey();
    const id = await create(key, { images: [{ source_url: `${sourceBase}/ok.jpg` }], webhook_url: hook.url });
    const event = await until(async () => {
      const list = await server.admin('GET', `/admin/v1/webhook-deliveries?enhancement_id=${id}`);
      return list.body.data.length === 2 &&
        list.body.data.every((d: { status: string }) => d.status === 'delivered')
        ? list.body.data[0]
        : undefined;
    });
    const before = hook.received.filter((r) => r.headers['webhook-id'] === event.id);
    expect(before).toHaveLength(1);
    const redelivered = await server.admin('POST', `/admin/v1/webhook-deliveries/${event.id}/redeliver`);
    expect(redelivered.status).toBe(202);
    await until(() =>
      hook.received.filter((r) => r.headers['webhook-id'] === event.id).length === 2 ? true : undefined,
    );
    const both = hook.received.filter((r) => r.headers['webhook-id'] === event.id);
    expect(both[1]?.body).toBe(both[0]?.body);
    expect((await server.admin('POST', '/admin/v1/webhook-deliveries/evt_nope/redeliver')).status).toBe(404);
  });

  it('a receiver that never answers does not hold up the worker', async () => {
    const hanging = await receiver(() => null);
    const { key } = await liveKey();
    const hangingId = await create(key, {
      images: [{ source_url: `${sourceBase}/ok.jpg` }],
      webhook_url: hanging.url,
    });
    await until(() => (hanging.received.length >= 1 ? true : undefined));
    // A redelivery while that attempt is in flight does not send the same event a second time at once.
    const inFlight = await server.admin('GET', `/admin/v1/webhook-deliveries?enhancement_id=${hangingId}`);
    const eventId = String(hanging.received[0]?.headers['webhook-id']);
    expect(inFlight.body.data.map((d: { id: string }) => d.id)).toContain(eventId);
    expect((await server.admin('POST', `/admin/v1/webhook-deliveries/${eventId}/redeliver`)).status).toBe(
      202,
    );
    // While that delivery waits for its 10 s timeout, other work goes on.
    const started = Date.now();
    const other = await liveKey();
    const id = await create(other.key, { images: [{ source_url: `${sourceBase}/ok.jpg` }] });
    await until(async () => {
      const g = await server.request('GET', `/api/v1/product-image-enhancements/${id}`, { key: other.key });
      return g.body.enhancement.status === 'completed' ? true : undefined;
    }, 8_000);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(hanging.received.filter((r) => r.headers['webhook-id'] === eventId)).toHaveLength(1);
  });

  it('refuses and records a webhook target that later resolves to a private address', async () => {
    const hook = await receiver();
    let answer = '127.0.0.1';
    server.useResolver(async (hostname) =>
      hostname === 'hooks.test' ? [{ address: answer, family: 4 }] : [{ address: '127.0.0.1', family: 4 }],
    );
    try {
      const { key } = await liveKey();
      const port = new URL(hook.url).port;
      const id = await create(key, {
        images: [{ source_url: `${sourceBase}/ok.jpg` }],
        webhook_url: `https://hooks.test:${port}/hooks`,
      });
      answer = '10.0.0.1';
      const delivery = await until(async () => {
        const list = await server.admin('GET', `/admin/v1/webhook-deliveries?enhancement_id=${id}`);
        const first = list.body.data[0];
        return first?.attempt_log.length > 0 ? first : undefined;
      });
      expect(delivery.attempt_log[0]).toMatchObject({ outcome: 'blocked', status_code: null });
      expect(delivery.attempt_log[0].error).toMatch(/non-public address/);
      expect(hook.received).toHaveLength(0);
    } finally {
      server.useResolver(undefined);
    }
  });

  it('refuses non-HTTPS and private webhook URLs at creation', async () => {
    const { key } = await liveKey();
    for (const webhook_url of ['http://localhost/hooks', 'https://10.0.0.1/hooks', 'not a url']) {
      const response = await server.request('POST', '/api/v1/product-image-enhancements', {
        key,
        headers: { 'idempotency-key': `bad-webhook-${webhook_url.length}-${Date.now()}` },
        json: { images: [{ source_url: `${sourceBase}/ok.jpg` }], webhook_url },
      });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_webhook_url');
    }
  });
});
