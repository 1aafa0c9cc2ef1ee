// End to end in Chromium: an owner signs in through the mailed link and works with their media library the way a
// person would — choosing several files and watching each one's progress, dropping a file on the page, filtering,
// editing, copying links, building a rendition, deleting one and many — then reads their usage and credits.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { describeViolations, PHONE, startBrowser, type TestBrowser } from './support/browser.ts';
import { type AccountView, createAccount, grantCredits, mintKey, outbox } from './support/fixtures.ts';
import * as images from './support/images.ts';
import { uploaded } from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let browser: TestBrowser;
let page: Page & { errors: string[] };
let owner: AccountView;

beforeAll(async () => {
  server = await startTestServer();
  browser = await startBrowser();
  owner = await createAccount(server, { verified: true });
  page = await browser.newPage();
  // An action that cannot happen fails with what it waited for, before the test's own timeout.
  page.setDefaultTimeout(10_000);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function expectAccessible(name: string) {
  const violations = await browser.seriousViolations(page);
  expect(violations, `${name}:\n${describeViolations(violations)}`).toEqual([]);
}

/** Screenshots of the page as it is, in both themes and at phone width, each scanned by axe. */
async function lookAt(name: string) {
  await browser.screenshot(page, `e2e-${name}-light`);
  await expectAccessible(`${name} (light)`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await browser.screenshot(page, `e2e-${name}-dark`);
  await expectAccessible(`${name} (dark)`);
  await page.emulateMedia({ colorScheme: 'light' });
}

const tiles = () => page.locator('#media-grid .tile');
const tileNames = async () => page.locator('#media-grid .tile-name').allTextContents();
const libraryRows = () =>
  server.services.store.db
    .selectFrom('media')
    .select(['id', 'name', 'tags', 'public', 'environment'])
    .where('account_id', '=', owner.id)
    .orderBy('created_at')
    .execute();

describe('the media library', () => {
  it('signs in through the mailed link and lands on the library it asked for', async () => {
    await page.goto(`${server.url}/media`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByLabel('Email address').fill(owner.email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    const link = (await outbox(server, owner.email)).flatMap((m) => m.links).find((l) => l.rel === 'sign-in');
    await page.goto(link?.url as string);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${server.url}/media`);
    await page.getByRole('heading', { name: 'Media', level: 1 }).waitFor();
    expect(await page.getByText('No images here yet.').isVisible()).toBe(true);
  });

  it('chooses several files at once: a progress bar per file, moving while it sends, and a summary', async () => {
    // A slow uplink (300 KB/s), so every file takes a while and its bar is seen between empty and full.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 300 * 1024,
    });
    const photo = async (seed: number) =>
      sharp({ create: { width: 900, height: 700, channels: 3, background: { r: seed * 40, g: 90, b: 160 } } })
        .composite([{ input: await images.noisePng(150_000), left: 10, top: 10 }])
        .png()
        .toBuffer();
    const files = [
      { name: 'harbour.png', mimeType: 'image/png', buffer: await photo(1) },
      { name: 'lighthouse.png', mimeType: 'image/png', buffer: await photo(2) },
      { name: 'dunes.png', mimeType: 'image/png', buffer: await photo(3) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') },
    ];
    await page.getByText('Tags, namespace and visibility of these uploads').click();
    await page.locator('#upload-form').getByLabel('Tags', { exact: true }).fill('coast, summer');
    await page.locator('#upload-input').setInputFiles(files);
    // Part-way: some file's bar is neither empty nor full, with its percentage beside it.
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#upload-list progress')].some(
        (bar) => (bar as HTMLProgressElement).value > 0 && (bar as HTMLProgressElement).value < 100,
      ),
    );
    await browser.screenshot(page, 'e2e-media-uploading');
    await page.getByText('3 of 4 uploaded; 1 failed (see above).').waitFor({ timeout: 60_000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    const rows = page.locator('#upload-list .upload-item');
    expect(await rows.count()).toBe(4);
    expect(await page.locator('.upload-item[data-result="uploaded"]').count()).toBe(3);
    const failed = page.locator('.upload-item[data-result="failed"]');
    expect(await failed.locator('.upload-name').textContent()).toBe('notes.txt');
    expect(await failed.locator('.upload-state').textContent()).toBe('Unsupported file type');
    await tiles().nth(2).waitFor();
    expect((await tileNames()).sort()).toEqual(['dunes.png', 'harbour.png', 'lighthouse.png']);
    const stored = await libraryRows();
    expect(stored.map((r) => [r.name, JSON.parse(r.tags), r.environment])).toEqual(
      expect.arrayContaining([['harbour.png', ['coast', 'summer'], 'live']]),
    );
    await lookAt('media-uploaded');
  });

  it('drops a file on the page', async () => {
    const bytes = (await images.jpeg(640, 480)).toString('base64');
    const transfer = await page.evaluateHandle((data) => {
      const file = new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], 'dropped.jpg', {
        type: 'image/jpeg',
      });
      const dt = new DataTransfer();
      dt.items.add(file);
      return dt;
    }, bytes);
    await page.dispatchEvent('#drop-zone', 'dragenter', { dataTransfer: transfer });
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
    await page.getByText('1 of 1 uploaded.').waitFor();
    await page.locator('#media-grid .tile-name', { hasText: 'dropped.jpg' }).waitFor();
    expect(await tiles().count()).toBe(4);
  });

  it('filters by typing a name, and clears the filter', async () => {
    await page.getByRole('search').getByLabel('Name', { exact: true }).fill('HOUSE');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/name=HOUSE/);
    expect(await tileNames()).toEqual(['lighthouse.png']);
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.waitForURL(`${server.url}/media`);
    expect(await tiles().count()).toBe(4);
  });

  it('opens an image, edits it by typing, and copies its links', async () => {
    await page.locator('#media-grid .tile-link', { hasText: 'harbour.png' }).click();
    await page.getByRole('heading', { name: 'harbour.png', level: 1 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Harbour at dusk');
    await page.getByLabel('Tags', { exact: true }).fill('coast, evening');
    await page.getByLabel('Namespace').fill('trips');
    await page.getByLabel(/Public \(a viewer page/).uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changes saved.').waitFor();
    await page.getByRole('heading', { name: 'Harbour at dusk', level: 1 }).waitFor();
    expect(await page.locator('#media-facts').textContent()).toContain('Private');
    const row = (await libraryRows()).find((r) => r.name === 'Harbour at dusk');
    expect(row).toMatchObject({ public: 0 });
    expect(JSON.parse(row?.tags ?? '[]')).toEqual(['coast', 'evening']);

    // A bad namespace: the field's error, and nothing saved.
    await page.getByLabel('Namespace').fill('Not Valid');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#edit-errors li').filter({ hasText: 'namespace' }).waitFor();
    expect((await libraryRows()).some((r) => r.name === 'Harbour at dusk')).toBe(true);
    await page.getByLabel('Namespace').fill('trips');

    await page.getByRole('button', { name: 'Copy src (original)' }).click();
    const src = await page.getByLabel('src (original)', { exact: true }).inputValue();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(src);
    expect((await fetch(src)).status).toBe(200);
    await page.getByRole('button', { name: 'Copy Small (size=s)' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${src}?size=s`);
  });

  it('builds a rendition: the preview and its URL follow every choice', async () => {
    const preview = page.locator('#rendition-preview');
    await page.getByLabel('Width (px)').fill('200');
    await page.getByLabel('Height (px)').fill('100');
    await page.getByLabel('Fit', { exact: true }).selectOption('cover');
    await page.getByLabel('Format').selectOption('webp');
    await page.getByLabel('Quality (1–100)').fill('70');
    await page.waitForFunction(() =>
      (document.getElementById('rendition-url') as HTMLInputElement).value.includes('q=70'),
    );
    const url = await page.getByLabel('Rendition URL', { exact: true }).inputValue();
    expect(url).toMatch(/\.webp\?w=200&h=100&fit=cover&q=70$/);
    await page.getByText('200 × 100 px').waitFor();
    expect(await preview.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([
      200, 100,
    ]);
    // The builder's state is in the address: a reload keeps it.
    await page.reload();
    expect(await page.getByLabel('Width (px)').inputValue()).toBe('200');
    expect(await page.getByLabel('Rendition URL', { exact: true }).inputValue()).toBe(url);
    await lookAt('media-detail');
  });

  it('deletes this image after confirming, and is back in the library', async () => {
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(`${server.url}/media`);
    expect(await tileNames()).not.toContain('Harbour at dusk');
    expect(await tiles().count()).toBe(3);
  });

  it('selects two images with the keyboard and deletes them together', async () => {
    await page.locator('#media-grid .tile', { hasText: 'lighthouse.png' }).locator('.tile-select').focus();
    await page.keyboard.press('Space');
    await page.locator('#media-grid .tile', { hasText: 'dunes.png' }).locator('.tile-select').check();
    expect(await page.locator('#selection-count').textContent()).toBe('2 selected');
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByRole('dialog').getByText('Delete 2 images?').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('2 deleted.').waitFor();
    expect(await tileNames()).toEqual(['dropped.jpg']);
    expect((await libraryRows()).map((r) => r.name)).toEqual(['dropped.jpg']);
  });

  it('loads older images as the grid scrolls to its end', async () => {
    const { key } = await mintKey(server, owner.id, { environment: 'test' });
    for (let i = 0; i < 63; i++) {
      await uploaded(server, await images.jpeg(20 + i, 20), { key, fields: { name: `test ${i}` } });
    }
    await page.getByRole('link', { name: 'Test (sandbox)' }).click();
    await page.waitForURL(`${server.url}/media?env=test`);
    expect(await tiles().count()).toBe(60);
    await page.locator('#load-more').scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.querySelectorAll('#media-grid .tile').length === 63);
    expect(await page.locator('#load-more').count()).toBe(0);
    const names = await tileNames();
    expect(new Set(names).size).toBe(63);
    expect(names[0]).toBe('test 62');
    expect(names.at(-1)).toBe('test 0');
    // Thumbnails have their box before they load: nothing moves as they arrive.
    const boxes = await page.locator('#media-grid .tile-image').evaluateAll((els) =>
      els.slice(0, 3).map((el) => {
        const r = el.getBoundingClientRect();
        return Math.round(r.width - r.height);
      }),
    );
    expect(boxes).toEqual([0, 0, 0]);
  });

  it('reads on a phone', async () => {
    await page.setViewportSize(PHONE);
    await page.goto(`${server.url}/media?env=test`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await browser.screenshot(page, 'e2e-media-phone');
    await page.locator('#media-grid .tile-link').first().click();
    await page.locator('h1').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await browser.screenshot(page, 'e2e-media-detail-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});

describe('usage and credits', () => {
  it('shows the month’s uploads against the plan, the charts drawn from the data, and the ledger', async () => {
    await grantCredits(server, owner.id, 250);
    await grantCredits(server, owner.id, 30, 'promotional');
    await page.getByRole('link', { name: 'Usage and credits' }).click();
    await page.getByRole('heading', { name: 'Usage and credits', level: 1 }).waitFor();
    // 3 + 1 live uploads (the text file was refused) and 63 test uploads.
    expect(await page.locator('.usage-meter-label').first().textContent()).toBe(
      'Uploads this month67 of 100',
    );
    await page.locator('#chart-uploads canvas').waitFor();
    await page.locator('#chart-credits canvas').waitFor();
    await page.getByText('The numbers').first().click();
    const today = new Date().toISOString().slice(0, 10);
    const firstRow = page.locator('#chart-uploads-table tbody tr').first();
    expect(await firstRow.locator('th').textContent()).toBe(today);
    // The chart counts the images still held (three were deleted); the month's count keeps every upload.
    expect(await firstRow.locator('td').textContent()).toBe('64');
    const ledger = page.locator('table.ledger tbody tr');
    expect(await ledger.count()).toBe(2);
    expect(await ledger.first().textContent()).toContain('+30');
    await lookAt('usage');
    await page.setViewportSize(PHONE);
    await page.reload();
    await page.locator('#chart-storage canvas').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await browser.screenshot(page, 'e2e-usage-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('met no console error on the way (a CSP violation would be one)', () => {
    // The refused text file (500 upload_failed) and the bad namespace (400) were answers the page expected; the
    // browser logs them as failed resources. Nothing else may fail.
    expect(page.errors.filter((e) => !/status of (400|500) /.test(e))).toEqual([]);
    expect(page.errors).toHaveLength(2);
  });
});
