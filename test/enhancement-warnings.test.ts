// Item warnings (docs/api.md §3.3, §3.5): what the pipeline said about a completed item reaches the API user in
// the status answer, as a count in list entries and webhook summaries, and in the `item` of the item webhooks;
// `[]` for clean results, failed items and sandbox simulations alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENHANCE_WARNING_CODES } from '../src/imaging/enhance/warnings.ts';
import { sharp } from '../src/imaging/sharp-lib.ts';
import {
  batchOf,
  createBatch,
  ENHANCEMENTS,
  type EnhancementView,
  enhancementAccount,
  enhancementSuite,
  type ItemView,
  productPhoto,
  type SourceServer,
  startSourceServer,
  waitForEnhancement,
} from './support/enhancement-fixtures.ts';
import { type HttpsReceiver, startHttpsReceiver, testCertificate } from './support/https-receiver.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const books = enhancementSuite();
const cert = testCertificate();
let server: TestServer;
let sources: SourceServer;
const receivers: HttpsReceiver[] = [];

/** Dark boxes (`[left, top, width, height]`) on a plain light backdrop. */
async function boxesPhoto(width: number, height: number, boxes: [number, number, number, number][]) {
  const layers = await Promise.all(
    boxes.map(async ([left, top, w, h]) => ({
      input: await sharp({ create: { width: w, height: h, channels: 3, background: '#223355' } })
        .png()
        .toBuffer(),
      left,
      top,
    })),
  );
  return sharp({ create: { width, height, channels: 3, background: '#f4f4f4' } })
    .composite(layers)
    .jpeg({ quality: 92 })
    .toBuffer();
}

// Sizes chosen so that each photo triggers exactly the warning it is named after with the current pipeline:
// - clean: a 480 px product fills 85 % of the 1000 px canvas at 1.8× (under the 2× warning);
// - small: a 300 px product is enlarged to 850 px, 2.8× (over 2×, far under any refusal);
// - pair: two separate boxes of similar size (the larger 500 px: 1.7×), a single-product preset keeps one.
const PHOTOS = {
  clean: () => productPhoto('jpeg'),
  small: () => boxesPhoto(700, 525, [[200, 130, 300, 260]]),
  pair: () =>
    boxesPhoto(1200, 900, [
      [100, 200, 440, 500],
      [660, 230, 420, 470],
    ]),
};

beforeAll(async () => {
  sources = await startSourceServer();
  for (const [name, make] of Object.entries(PHOTOS))
    sources.serve(`/${name}.jpg`, await make(), 'image/jpeg');
  server = await startTestServer({
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
  });
});

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await server?.close();
  await sources?.close();
});

const src = (name: string) => `${sources.url}/${name}`;

async function receiver(): Promise<HttpsReceiver> {
  const r = await startHttpsReceiver(cert);
  receivers.push(r);
  return r;
}

async function until<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const codes = (item: Pick<ItemView, 'warnings'>) => item.warnings.map((w) => w.code);
const itemFor = (enhancement: EnhancementView, name: string) => {
  const item = enhancement.items.find((i) => i.source_url.startsWith(src(name)));
  if (!item) throw new Error(`no item for ${name}`);
  return item;
};

/** Every warning has exactly the published fields, a known code and a sentence, and no code twice. */
function expectWellFormed(warnings: ItemView['warnings']): void {
  for (const w of warnings) {
    expect(Object.keys(w).sort()).toEqual(['code', 'message']);
    expect(ENHANCE_WARNING_CODES).toContain(w.code);
    expect(w.message.length).toBeGreaterThan(10);
  }
  expect(new Set(warnings.map((w) => w.code)).size).toBe(warnings.length);
}

describe('item warnings', () => {
  it('status, list and webhooks: upscaled and multiple_products where due, [] for clean and failed items', async () => {
    const hook = await receiver();
    const { key } = await enhancementAccount(server, books, { purchased: 200 });
    const created = await createBatch(
      server,
      key,
      batchOf([src('clean.jpg'), src('small.jpg'), src('pair.jpg'), src('missing.jpg')], {
        preset: 'single_product_white_background',
        webhook_url: hook.url,
      }),
    );
    const id = created.enhancement.id;
    const done = await waitForEnhancement(server, key, id);
    expect(done).toMatchObject({ status: 'partially_completed', completed_items: 3, failed_items: 1 });

    const clean = itemFor(done, 'clean.jpg');
    const small = itemFor(done, 'small.jpg');
    const pair = itemFor(done, 'pair.jpg');
    const missing = itemFor(done, 'missing.jpg');
    for (const item of done.items) expectWellFormed(item.warnings);
    expect(clean).toMatchObject({ status: 'completed', warnings: [] });
    expect(missing).toMatchObject({ status: 'failed', error_code: 'source_url_unreachable', warnings: [] });
    expect(codes(small)).toEqual(['upscaled']);
    // The factor is in the message: 850 px from a 300 px product.
    expect(small.warnings[0]?.message).toMatch(/2\.8×/);
    expect(codes(pair)).toEqual(['multiple_products']);
    expect(pair.warnings[0]?.message).toMatch(/1 other object/);
    expect(done.items_with_warnings).toBe(2);

    // The list has no items: its entries count the items with warnings.
    const list = await server.request('GET', `${ENHANCEMENTS}?limit=5`, { key });
    expect(list.status, list.text).toBe(200);
    const entry = list.body.enhancements.find((e: { id: string }) => e.id === id);
    expect(entry).toMatchObject({ id, items_with_warnings: 2, completed_items: 3 });
    expect(entry.items).toBeUndefined();

    // Webhooks: 4 item events and the terminal one; the item carries exactly what the status answer shows.
    await until(() => (hook.received.length >= 5 ? true : undefined));
    const events = hook.received.map((r) => JSON.parse(r.body));
    for (const item of done.items) {
      const event = events.find((e) => e.data.item?.id === item.id);
      expect(event?.type).toBe(
        item.status === 'completed' ? 'enhancement.item.completed' : 'enhancement.item.failed',
      );
      expect(event.data.item.warnings).toEqual(item.warnings);
    }
    const terminal = events.find((e) => e.type === 'enhancement.partially_completed');
    expect(terminal.data.enhancement.items_with_warnings).toBe(2);
    // Item events carry the counter as it stood after that item.
    const counts = events
      .filter((e) => e.data.item)
      .map((e) => e.data.enhancement.items_with_warnings)
      .sort();
    expect(counts.at(-1)).toBe(2);
    expect(counts[0]).toBeGreaterThanOrEqual(0);
  });

  it('clean_catalog_group keeps both objects: no multiple_products warning', async () => {
    const { key } = await enhancementAccount(server, books, { purchased: 200 });
    const created = await createBatch(
      server,
      key,
      batchOf([src('pair.jpg')], { preset: 'clean_catalog_group' }),
    );
    const done = await waitForEnhancement(server, key, created.enhancement.id);
    expect(done.items[0]?.status).toBe('completed');
    expect(done.items[0]?.warnings).toEqual([]);
    expect(done.items_with_warnings).toBe(0);
  });

  it('sandbox items carry the same warnings; a simulated failure has none', async () => {
    const { key } = await enhancementAccount(server, books, { environment: 'test' });
    const created = await createBatch(
      server,
      key,
      batchOf([
        src('small.jpg'),
        src('pair.jpg'),
        src('clean.jpg'),
        `${src('clean.jpg')}#simulate=provider_error`,
      ]),
    );
    const done = await waitForEnhancement(server, key, created.enhancement.id);
    expect(done.sandbox).toBe(true);
    expect(done.items.map((i) => [i.status, codes(i)])).toEqual([
      ['completed', ['upscaled']],
      ['completed', ['multiple_products']],
      ['completed', []],
      ['failed', []],
    ]);
    expect(done.items_with_warnings).toBe(2);
  });

  it('the OpenAPI document shows the field and every warning code', async () => {
    const spec = (await server.request('GET', '/openapi.json')).body;
    // biome-ignore lint/suspicious/noExplicitAny: JSON Schema read from the document.
    const resolve = (schema: any): any =>
      schema.$ref ? spec.components.schemas[schema.$ref.split('/').pop()] : schema;
    const schemaOf = (path: string) =>
      resolve(spec.paths[path].get.responses['200'].content['application/json'].schema);
    const item = resolve(
      resolve(schemaOf(`${ENHANCEMENTS}/{id}`).properties.enhancement).properties.items.items,
    );
    expect(item.properties.warnings.items.properties.code.enum).toEqual([...ENHANCE_WARNING_CODES]);
    expect(item.properties.warnings.items.required).toEqual(['code', 'message']);
    const entry = resolve(schemaOf(ENHANCEMENTS).properties.enhancements.items);
    expect(entry.properties.items_with_warnings.type).toBe('integer');
  });
});
