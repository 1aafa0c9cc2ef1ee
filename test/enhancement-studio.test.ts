// The classical studio segmenter through the running server (issue 14): real-looking studio shots complete
// with the catalog checks holding, what cannot be cut out honestly fails with `provider_error` and a reason,
// and the warnings of each completed item reach the status answer, the list and the webhooks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeOutput,
  frameIsPureWhite,
  nonWhiteBox,
} from '../src/imaging/enhance/testing/measure-catalog-image.ts';
import { studioScene } from '../src/imaging/enhance/testing/studio-scenes.ts';
import {
  batchOf,
  createBatch,
  ENHANCEMENTS,
  type EnhancementView,
  enhancementAccount,
  enhancementSuite,
  type ItemView,
  loadSrc,
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
let hook: HttpsReceiver;

const PHOTOS = {
  // A product on a vignetted, graded sweep with a soft cast shadow: 300 px tall, so 2.8× on 1000 px.
  'vignette.jpg': () => studioScene('vignette', { shadow: true, noise: 2 }),
  // A product running off the right and bottom edges.
  'touching.jpg': () =>
    studioScene('touching', {
      product: '<rect x="500" y="200" width="300" height="400" fill="rgb(40,60,150)"/>',
    }),
  // A white product on a light sweep: its outline barely differs from the backdrop.
  'light.jpg': () =>
    studioScene('light on light', {
      centre: 240,
      corner: 225,
      product: '<rect x="230" y="150" width="220" height="300" rx="30" fill="rgb(246,246,242)"/>',
    }),
  // A 70 px product: filling a 1000 px canvas would enlarge it 12×.
  'tiny.jpg': () =>
    studioScene('tiny', {
      width: 300,
      height: 225,
      product: '<rect x="120" y="80" width="50" height="70" fill="rgb(150,40,40)"/>',
    }),
};

beforeAll(async () => {
  sources = await startSourceServer();
  for (const [name, make] of Object.entries(PHOTOS))
    sources.serve(`/${name}`, (await make()).jpeg, 'image/jpeg');
  hook = await startHttpsReceiver(cert);
  server = await startTestServer({
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
    // Under the default 4×, so that the 2.8× photo completes and the 12× one is refused by this setting.
    LIGHTBOX_ENHANCE_MAX_UPSCALE: '3',
  });
});

afterAll(async () => {
  await hook?.close();
  await server?.close();
  await sources?.close();
});

const src = (name: keyof typeof PHOTOS) => `${sources.url}/${name}`;
const itemFor = (enhancement: EnhancementView, name: keyof typeof PHOTOS): ItemView => {
  const item = enhancement.items.find((i) => i.source_url === src(name));
  if (!item) throw new Error(`no item for ${name}`);
  return item;
};
const codes = (item: ItemView) => item.warnings.map((w) => w.code);

async function until<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pure 255 frame, no alpha, the product's longer side 85 % of the canvas, centred. */
async function expectCatalogImage(item: ItemView): Promise<void> {
  const output = await decodeOutput(await loadSrc(item.result_url ?? ''));
  expect(output.channels).toBe(3);
  expect(output.width).toBe(output.height);
  expect(frameIsPureWhite(output)).toBe(true);
  const box = nonWhiteBox(output);
  if (!box) throw new Error('no product on the canvas');
  expect(Math.max(box.width, box.height) / output.width).toBeCloseTo(0.85, 1);
  expect(Math.abs(box.left + box.width / 2 - output.width / 2) / output.width).toBeLessThan(0.015);
  expect(Math.abs(box.top + box.height / 2 - output.height / 2) / output.height).toBeLessThan(0.015);
}

describe('classical studio segmentation over HTTP', () => {
  it('completes studio shots, refuses what it cannot cut out honestly, and reports warnings everywhere', async () => {
    const { key } = await enhancementAccount(server, books, { purchased: 200 });
    const created = await createBatch(
      server,
      key,
      batchOf([src('vignette.jpg'), src('touching.jpg'), src('light.jpg'), src('tiny.jpg')], {
        preset: 'single_product_white_background',
        webhook_url: hook.url,
      }),
    );
    const id = created.enhancement.id;
    const done = await waitForEnhancement(server, key, id);
    expect(done).toMatchObject({ status: 'partially_completed', completed_items: 2, failed_items: 2 });

    const vignette = itemFor(done, 'vignette.jpg');
    expect(vignette.status).toBe('completed');
    expect(codes(vignette)).toEqual(['shadow_removed', 'upscaled']);
    const touching = itemFor(done, 'touching.jpg');
    expect(touching.status).toBe('completed');
    expect(codes(touching)).toContain('product_touches_frame');
    for (const item of [vignette, touching]) await expectCatalogImage(item);

    const light = itemFor(done, 'light.jpg');
    expect(light).toMatchObject({
      status: 'failed',
      error_code: 'provider_error',
      result_url: null,
      warnings: [],
    });
    expect(light.error_message).toMatch(/could not find the product's outline: only \d+ % of it stands out/);
    const tiny = itemFor(done, 'tiny.jpg');
    expect(tiny).toMatchObject({ status: 'failed', error_code: 'provider_error', result_url: null });
    expect(tiny.error_message).toMatch(
      /only 7\d px on its longer side .* enlarge it 1[12]\.\d×, more than the 3× allowed/,
    );

    // The list counts the items with warnings; the webhooks carry each item as the status answer shows it.
    const list = await server.request('GET', `${ENHANCEMENTS}?limit=5`, { key });
    expect(list.status, list.text).toBe(200);
    expect(list.body.enhancements.find((e: { id: string }) => e.id === id)).toMatchObject({
      items_with_warnings: 2,
    });
    await until(() => (hook.received.length >= 5 ? true : undefined));
    const events = hook.received.map((r) => JSON.parse(r.body));
    for (const item of done.items) {
      const event = events.find((e) => e.data.item?.id === item.id);
      expect(event.data.item.warnings).toEqual(item.warnings);
      expect(event.data.item.error_message).toBe(item.error_message);
    }
  });
});
