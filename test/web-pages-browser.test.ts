// Every page in Chromium: an axe-core scan (no serious or critical violation) in the light and the dark theme,
// no console error (CSP violations included), keyboard basics, and screenshots — desktop light, desktop dark and
// phone — written to test/screenshots/ to be looked at.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGES } from '../src/web/pages/index.ts';
import { describeViolations, PHONE, startBrowser, type TestBrowser } from './support/browser.ts';
import { createAccount, mailedLink, mintKey } from './support/fixtures.ts';
import * as images from './support/images.ts';
import { keyedAccount, uploaded } from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { newestSignInLink, postForm, tokenOf } from './support/web-session.ts';

let server: TestServer;
let browser: TestBrowser;
/** name → path of every page to check; built in beforeAll through real flows. */
const pages = new Map<string, string>();

beforeAll(async () => {
  server = await startTestServer({
    LIGHTBOX_SUPPORT_EMAIL: 'help@example.test',
    LIGHTBOX_KEYS_PER_IP_PER_HOUR: '100000',
  });
  browser = await startBrowser();

  for (const page of PAGES.filter((p) => p.access === 'public' && !p.path.includes(':'))) {
    const name = page.path === '/' ? 'home' : page.path.slice(1).replaceAll('/', '-');
    // Link pages opened without their link's parameters: the "invalid or expired" page.
    const linkPage = ['/verify', '/approve-key', '/sign-in/continue'].includes(page.path);
    pages.set(linkPage ? `${name}-invalid` : name, page.path);
  }
  const uploader = await keyedAccount(server, { verified: true });
  const media = await uploaded(server, await images.jpeg(1200, 800), {
    key: uploader.key,
    fields: { name: 'Harbour at dusk', tags: 'sea,travel' },
  });
  pages.set('viewer', `/i/${media.id}`);
  pages.set('viewer-not-found', '/i/ZZZZZZZZ');
  pages.set('error-404', '/no/such/page');

  const owner = await createAccount(server, { verified: true });
  await mintKey(server, owner.id, { name: 'website' });
  await mintKey(server, owner.id, {
    name: 'sandbox',
    environment: 'test',
    expires_at: '2030-01-01T00:00:00Z',
  });
  const asked = await server.request('POST', '/v1/keys', { json: { email: owner.email, name: 'asked' } });
  expect(asked.body.status).toBe('pending_approval');
  pages.set(
    'approve-key',
    new URL(await mailedLink(server, owner.email, 'approve-key')).href.slice(server.url.length),
  );
  const upgrade = server.services.links.create({ purpose: 'upgrade', subject: owner.id, plan: 'pro' });
  pages.set('upgrade', upgrade.slice(server.url.length));
  const unverified = await createAccount(server, { verified: false });
  pages.set(
    'verify',
    server.services.links.create({ purpose: 'verify', subject: unverified.id }).slice(server.url.length),
  );
  await postForm(server, '/sign-in', { email: owner.email });
  pages.set(
    'sign-in-continue',
    `/sign-in/continue?token=${tokenOf((await newestSignInLink(server, owner.email)) as string)}`,
  );

  // Owner pages: sign this browser in, through the link.
  const tab = await browser.newPage();
  await postForm(server, '/sign-in', { email: owner.email });
  await tab.goto((await newestSignInLink(server, owner.email)) as string);
  await tab.getByRole('button', { name: 'Continue' }).click();
  await tab.waitForURL(`${server.url}/dashboard`);
  await tab.close();
  for (const page of PAGES.filter((p) => p.access === 'owner' && !p.path.includes(':'))) {
    pages.set(page.path.slice(1), page.path);
  }
  // The owner pages with parameters: one image of the library, one batch from it (the safe fetcher refuses this
  // server's loopback address here, so the item fails, offline; the browser shows the image all the same).
  const testKey = await mintKey(server, owner.id, { name: 'sandbox-2', environment: 'test' });
  const image = await uploaded(server, await images.jpeg(900, 600), {
    key: testKey.key,
    fields: { name: 'Chair, front', tags: 'chairs,catalogue', namespace: 'shop' },
  });
  pages.set('media-detail', `/media/${image.id}`);
  const batch = await server.request('POST', '/api/v1/product-image-enhancements', {
    key: testKey.key,
    headers: { 'idempotency-key': 'browser-pages-batch-1' },
    json: { images: [{ source_url: image.src }] },
  });
  expect(batch.status, batch.text).toBe(201);
  pages.set('enhancement-detail', `/enhancements/${batch.body.enhancement.id}`);

  // Operator pages: sign this browser in with the admin token too (the operator cookie is a cookie of its own).
  const operatorTab = await browser.newPage();
  await operatorTab.goto(`${server.url}/admin/sign-in`);
  await operatorTab.getByLabel('Admin token').fill(server.adminToken);
  await operatorTab.getByRole('button', { name: 'Sign in' }).click();
  await operatorTab.waitForURL(`${server.url}/admin`);
  await operatorTab.close();
  for (const page of PAGES.filter((p) => p.access === 'operator' && !p.path.includes(':'))) {
    pages.set(page.path.slice(1).replaceAll('/', '-'), page.path);
  }
  pages.set('admin-account', `/admin/accounts/${owner.id}`);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('every page in Chromium', () => {
  it('covers the registry: every page without parameters, the viewer, the link pages and the owner pages', () => {
    expect(pages.size).toBeGreaterThanOrEqual(PAGES.length + 2);
    for (const page of PAGES.filter((p) => p.path.includes(':'))) {
      const pattern = new RegExp(`^${page.path.replace(/:[a-z]+/g, '[^/?]+')}(\\?.*)?$`);
      expect(
        [...pages.values()].some((path) => pattern.test(path)),
        page.path,
      ).toBe(true);
    }
  });

  // Bounded: about a second a page (scan and screenshot) on a quiet machine; the limits allow for a shared one.
  it.each(['light', 'dark'] as const)(
    'has no serious or critical axe violation and no console error (%s theme)',
    async (colorScheme) => {
      const page = await browser.newPage({ colorScheme });
      for (const [name, path] of pages) {
        page.errors.length = 0;
        await page.goto(`${server.url}${path}`);
        await browser.screenshot(page, `${name}-${colorScheme}`);
        const violations = await browser.seriousViolations(page);
        expect(violations, `${name} (${colorScheme}):\n${describeViolations(violations)}`).toEqual([]);
        // A page that answers 4xx on purpose logs its own status as a failed resource; nothing else may fail.
        const errors = page.errors.filter((e) => !/the server responded with a status of 4\d\d/.test(e));
        expect(errors, `${name} (${colorScheme})`).toEqual([]);
      }
      await page.close();
    },
    120_000,
  );

  it('reads on a phone: nothing wider than the screen', async () => {
    const page = await browser.newPage({ viewport: PHONE });
    for (const [name, path] of pages) {
      await page.goto(`${server.url}${path}`);
      await browser.screenshot(page, `${name}-phone`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, name).toBeLessThanOrEqual(PHONE.width);
    }
    await page.close();
  }, 120_000);

  it('starts with a skip link that moves the keyboard to the content; focus is visible', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/docs/quick-start`);
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => ({
      text: document.activeElement?.textContent,
      top: document.activeElement?.getBoundingClientRect().top ?? -1,
      outline: getComputedStyle(document.activeElement as Element).outlineStyle,
    }));
    expect(skip.text).toBe('Skip to content');
    expect(skip.top).toBeGreaterThanOrEqual(0);
    expect(skip.outline).toBe('solid');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.close();
  });
});
