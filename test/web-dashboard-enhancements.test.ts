// End to end in Chromium: an owner starts a sandbox (test key) batch from image URLs, watches it complete, compares
// each item before and after, reads a failed item's code and what to do about it, redelivers a webhook event
// whose first delivery failed, and starts a batch from images picked in the media library.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemErrorCatalog } from '../src/errors/catalog.ts';
import { describeViolations, PHONE, startBrowser, type TestBrowser } from './support/browser.ts';
import {
  enhancementSuite,
  LOOPBACK_SOURCES,
  productPhoto,
  type SourceServer,
  startSourceServer,
} from './support/enhancement-fixtures.ts';
import { type AccountView, createAccount, mintKey, outbox } from './support/fixtures.ts';
import { type HttpsReceiver, startHttpsReceiver, testCertificate } from './support/https-receiver.ts';
import { uploaded } from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const books = enhancementSuite();
const cert = testCertificate();
let server: TestServer;
let sources: SourceServer;
let receiver: HttpsReceiver;
let browser: TestBrowser;
let page: Page & { errors: string[] };
let owner: AccountView;
let testKey: { key: string; key_id: string };

beforeAll(async () => {
  sources = await startSourceServer();
  for (const [path, seed] of [
    ['/sofa.jpg', 1],
    ['/lamp.jpg', 7],
    ['/chair.jpg', 13],
  ] as const) {
    sources.serve(path, await productPhoto('jpeg', { seed }), 'image/jpeg');
  }
  // The receiver fails the first request it gets, then takes everything.
  receiver = await startHttpsReceiver(cert, (count) => (count === 1 ? 503 : 200));
  server = await startTestServer({
    ...LOOPBACK_SOURCES,
    LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
    // The failed event's next try is far away: only the redeliver button sends it again in this test.
    LIGHTBOX_WEBHOOK_RETRY_DELAYS: '3600',
  });
  owner = await createAccount(server, { verified: true });
  books.track(server, owner.id);
  testKey = await mintKey(server, owner.id, { environment: 'test', name: 'sandbox' });
  await mintKey(server, owner.id, { environment: 'live', name: 'website' });
  browser = await startBrowser();
  page = await browser.newPage();
  page.setDefaultTimeout(15_000);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await sources?.close();
  await receiver?.close();
});

async function lookAt(name: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await browser.screenshot(page, `e2e-${name}-${colorScheme}`);
    const violations = await browser.seriousViolations(page);
    expect(violations, `${name} (${colorScheme}):\n${describeViolations(violations)}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const loaded = (img: HTMLImageElement) => img.complete && img.naturalWidth > 0;

describe('enhancements in the dashboard', () => {
  it('signs in and opens the enhancements page', async () => {
    await page.goto(`${server.url}/enhancements`);
    await page.getByLabel('Email address').fill(owner.email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    const link = (await outbox(server, owner.email)).flatMap((m) => m.links).find((l) => l.rel === 'sign-in');
    await page.goto(link?.url as string);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${server.url}/enhancements`);
    await page.getByRole('heading', { name: 'Enhancements', level: 1 }).waitFor();
  });

  it('starts a sandbox batch from typed URLs with a webhook, and watches it complete', async () => {
    await page.getByLabel('Key').selectOption({ label: `sandbox (${testKey.key.slice(0, 13)}…)` });
    expect(await page.locator('#enhance-cost').textContent()).toContain('free, in the sandbox');
    await page
      .getByLabel('Image URLs, one per line')
      .fill(
        [
          `${sources.url}/sofa.jpg`,
          `${sources.url}/lamp.jpg`,
          `${sources.url}/chair.jpg#simulate=unsupported_file_type`,
        ].join('\n'),
      );
    expect(await page.locator('#enhance-cost').textContent()).toBe(
      '3 images: free, in the sandbox (test key).',
    );
    await page.getByText('Instructions and webhook (optional)').click();
    await page.getByLabel('Webhook URL').fill(receiver.url);
    await browser.screenshot(page, 'e2e-enhancements-form');
    await page.getByRole('button', { name: 'Start enhancing' }).click();
    await page.waitForURL(/\/enhancements\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: /^Batch / }).waitFor();
    // The page follows the batch by itself until it is done.
    await page.getByText('Batch partly completed: 3 of 3 done, 1 failed.').waitFor({ timeout: 60_000 });
    expect(await page.locator('#batch-summary .status').first().textContent()).toBe('Partly completed');
    expect(await page.locator('#batch-summary progress').getAttribute('value')).toBe('3');
  });

  it('compares every item before and after; a failed item says its code and what to do', async () => {
    const items = page.locator('#batch-items .item-card');
    expect(await items.count()).toBe(3);
    for (const index of [0, 1]) {
      const item = items.nth(index);
      expect(await item.getAttribute('data-status')).toBe('completed');
      const before = item.getByRole('img', { name: /^Before:/ });
      const after = item.getByRole('img', { name: /^After:/ });
      await page.waitForFunction(
        ([b, a]) => (b as HTMLImageElement).naturalWidth > 0 && (a as HTMLImageElement).naturalWidth > 0,
        [await before.elementHandle(), await after.elementHandle()],
      );
      expect(await before.evaluate(loaded)).toBe(true);
      expect(await after.evaluate(loaded)).toBe(true);
      // The source is a 1200 × 900 photo; the result is the preset's square canvas.
      expect(await before.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1200);
      const side = await after.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
      expect(side[0]).toBe(side[1]);
    }
    const failed = items.nth(2);
    expect(await failed.getAttribute('data-status')).toBe('failed');
    expect(await failed.locator('.item-error code').textContent()).toBe('unsupported_file_type');
    expect(await failed.locator('.item-error').textContent()).toContain(
      itemErrorCatalog.unsupported_file_type.handling,
    );
    expect(await failed.getByText('No result').isVisible()).toBe(true);
  });

  it('shows every delivery attempt, and redelivers the event that failed', async () => {
    const deliveries = page.locator('#deliveries .delivery');
    // One event per item and one for the batch: four, the first of which met the receiver's 503.
    await page.waitForFunction(() => document.querySelectorAll('#deliveries .delivery').length === 4);
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#deliveries .attempts tbody tr').length === 4 &&
        document.querySelectorAll('#deliveries .delivery-pending').length === 1,
    );
    const pending = deliveries.filter({ has: page.locator('.delivery-pending') });
    expect(await pending.locator('.attempts tbody tr').textContent()).toContain('503');
    const eventId = await pending.getAttribute('data-event-id');
    await lookAt('enhancement-detail');

    await pending.getByRole('button', { name: /^Redeliver/ }).click();
    await page.getByText('Redelivery queued: the event is sent again now.').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#deliveries .delivery-pending').length === 0);
    const redelivered = page.locator(`#deliveries .delivery[data-event-id="${eventId}"]`);
    expect(await redelivered.locator('.status').textContent()).toBe('delivered');
    expect(await redelivered.locator('.attempts tbody tr').count()).toBe(2);
    expect(receiver.received.filter((r) => r.headers['webhook-id'] === eventId)).toHaveLength(2);
    await browser.screenshot(page, 'e2e-enhancement-redelivered');
  });

  it('lists the batch under the sandbox, not under live', async () => {
    await page.getByRole('link', { name: '← Enhancements' }).click();
    await page.getByRole('link', { name: 'Test (sandbox)' }).click();
    await page.waitForURL(`${server.url}/enhancements?env=test`);
    expect(await page.locator('table.batches tbody tr').count()).toBe(1);
    expect(await page.locator('table.batches tbody tr .status').textContent()).toBe('Partly completed');
    await page.getByRole('link', { name: 'Live', exact: true }).click();
    expect(await page.getByText('No batches yet.').isVisible()).toBe(true);
  });

  it('picks images in the media library and enhances them', async () => {
    const photo = await productPhoto('jpeg', { seed: 3 });
    const sofa = await uploaded(server, photo, { key: testKey.key, fields: { name: 'Sofa, studio' } });
    await uploaded(server, await productPhoto('jpeg', { seed: 5 }), {
      key: testKey.key,
      fields: { name: 'Other' },
    });
    await page.goto(`${server.url}/media?env=test`);
    await page.locator('#media-grid .tile', { hasText: 'Sofa, studio' }).locator('.tile-select').check();
    await page.getByRole('button', { name: 'Enhance selected' }).click();
    await page.waitForURL(/\/enhancements\?env=test&media=/);
    expect(await page.getByLabel('From the media library').isChecked()).toBe(true);
    await page.locator('#picker-grid li').nth(1).waitFor();
    expect(await page.locator('#picker-count').textContent()).toBe('1 chosen');
    expect(await page.locator('#picker-grid input:checked').count()).toBe(1);
    // The picker searches by name.
    await page.getByLabel('Search by name').fill('other');
    await page.waitForFunction(() => document.querySelectorAll('#picker-grid li').length === 1);
    // Cleared, the whole test library again: the two uploads and the first batch's results (stored as media).
    await page.getByLabel('Search by name').fill('');
    await page.waitForFunction(() => document.querySelectorAll('#picker-grid li').length > 2);
    expect(await page.locator('#picker-grid li').allTextContents()).toEqual(
      expect.arrayContaining(['Sofa, studio', 'Other']),
    );
    // The choice survived the searches.
    expect(await page.locator('#picker-grid input:checked').count()).toBe(1);
    await lookAt('enhancements-library');
    await page.getByRole('button', { name: 'Start enhancing' }).click();
    await page.waitForURL(/\/enhancements\/[0-9a-f-]{36}$/);
    await page.getByText('Batch completed: 1 of 1 done, 0 failed.').waitFor({ timeout: 60_000 });
    const item = page.locator('#batch-items .item-card');
    expect(await item.locator('h3').textContent()).toContain(sofa.id);
    expect(await item.locator('.item-source code').textContent()).toBe(sofa.src);
  });

  it('reads on a phone', async () => {
    await page.setViewportSize(PHONE);
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await browser.screenshot(page, 'e2e-enhancement-detail-phone');
    await page.goto(`${server.url}/enhancements?env=test`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await browser.screenshot(page, 'e2e-enhancements-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('met no console error on the way (a CSP violation would be one)', () => {
    expect(page.errors).toEqual([]);
  });
});
