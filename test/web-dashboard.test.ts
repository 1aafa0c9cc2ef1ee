// End to end in Chromium: an owner signs in through the mailed link and manages keys the way a person would —
// typing, clicking, confirming in a dialog, copying — and the API then refuses the key they revoked.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookSecretOf } from '../src/accounts/api-key-format.ts';
import { describeViolations, startBrowser, type TestBrowser } from './support/browser.ts';
import { type AccountView, createAccount, getAccount, listKeys, outbox } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
let browser: TestBrowser;
let page: Page & { errors: string[] };
let owner: AccountView;
/** The key the person created and copied, as the clipboard had it. */
let copiedKey = '';

beforeAll(async () => {
  server = await startTestServer();
  browser = await startBrowser();
  owner = await createAccount(server, { verified: true });
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const row = (name: string) =>
  page
    .locator('#keys-table tbody tr')
    .filter({ has: page.locator('.key-name').getByText(name, { exact: true }) });
const statusOf = (name: string) => row(name).locator('.status').textContent();
const apiStatus = async (key: string) => (await server.request('GET', '/v1/usage', { key })).status;

async function expectAccessible(name: string) {
  const violations = await browser.seriousViolations(page);
  expect(violations, `${name}:\n${describeViolations(violations)}`).toEqual([]);
}

describe('an owner in the dashboard', () => {
  it('is asked to sign in, gets a link by mail, and continues to the page they wanted', async () => {
    await page.goto(`${server.url}/keys`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await page.getByLabel('Email address').fill(owner.email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();

    const link = (await outbox(server, owner.email)).flatMap((m) => m.links).find((l) => l.rel === 'sign-in');
    expect(link).toBeDefined();
    await page.goto(link?.url as string);
    await browser.screenshot(page, 'e2e-sign-in-continue');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${server.url}/keys`);
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    expect(await page.getByText(owner.email).first().isVisible()).toBe(true);
    // The session cookie is not readable by scripts.
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('creates a key by typing its name, sees it once with its webhook secret, and copies it', async () => {
    await page.getByLabel('Name').fill('website');
    await page.getByLabel('Environment').selectOption('live');
    await page.getByRole('button', { name: 'Create key' }).click();
    const reveal = page.getByRole('region', { name: 'Your new key' });
    await reveal.waitFor();
    const key = await page.getByLabel('API key', { exact: true }).inputValue();
    const secret = await page.getByLabel('Webhook signing secret (Standard Webhooks)').inputValue();
    expect(key).toMatch(/^img_live_[0-9A-Za-z]{36}$/);
    expect(secret).toBe(webhookSecretOf(key));
    await browser.screenshot(page, 'e2e-keys-created');
    await expectAccessible('key created');

    await page.getByRole('button', { name: 'Copy API key' }).click();
    await page.getByRole('button', { name: 'Copy API key' }).filter({ hasText: 'Copied' }).waitFor();
    copiedKey = await page.evaluate(() => navigator.clipboard.readText());
    expect(copiedKey).toBe(key);

    await page.getByRole('button', { name: 'I have copied them' }).click();
    expect(await reveal.isVisible()).toBe(false);
    expect(await page.getByLabel('API key', { exact: true }).inputValue()).toBe('');
    expect(await statusOf('website')).toBe('Active');
    expect(await apiStatus(copiedKey)).toBe(200);
  });

  it('creates another key with the keyboard alone (type, Enter)', async () => {
    await page.getByLabel('Name').focus();
    await page.keyboard.type('ci');
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Your new key' }).waitFor();
    await page.getByRole('button', { name: 'I have copied them' }).press('Enter');
    expect(await statusOf('ci')).toBe('Active');
  });

  it('deactivates and reactivates a key; the API follows each change', async () => {
    await row('website').getByRole('button', { name: 'Deactivate website' }).click();
    await page.getByText('Key “website” deactivated.').waitFor();
    expect(await statusOf('website')).toBe('Inactive');
    expect(await apiStatus(copiedKey)).toBe(401);
    await row('website').getByRole('button', { name: 'Reactivate website' }).click();
    await page.getByText('Key “website” reactivated.').waitFor();
    expect(await statusOf('website')).toBe('Active');
    expect(await apiStatus(copiedKey)).toBe(200);
  });

  it('revokes a key after confirming in a dialog; the API then refuses it', async () => {
    // Cancelling changes nothing.
    await row('website').getByRole('button', { name: 'Revoke website' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await browser.screenshot(page, 'e2e-keys-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await statusOf('website')).toBe('Active');

    await row('website').getByRole('button', { name: 'Revoke website' }).click();
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Key “website” revoked.').waitFor();
    expect(await statusOf('website')).toBe('Revoked');

    const hosting = await server.request('GET', '/v1/usage', { key: copiedKey });
    expect(hosting.status).toBe(401);
    expect(hosting.body).toMatchObject({ error: 'unauthorized', message: 'API key revoked' });
    const enhancement = await server.request('GET', '/api/v1/product-image-enhancements', { key: copiedKey });
    expect(enhancement.status).toBe(401);
    expect(enhancement.body.error.code).toBe('api_key_revoked');
    // A revoked key offers no way back.
    expect(
      await row('website')
        .getByRole('button', { name: /Reactivate|Deactivate/ })
        .count(),
    ).toBe(0);
  });

  it('approves a key someone asked for by email', async () => {
    const asked = await server.request('POST', '/v1/keys', { json: { email: owner.email, name: 'asked' } });
    expect(asked.body.status).toBe('pending_approval');
    await page.reload();
    expect(await statusOf('asked')).toBe('Waiting for approval');
    await row('asked').getByRole('button', { name: 'Approve asked' }).click();
    await page.getByText('Key “asked” approved.').waitFor();
    expect(await statusOf('asked')).toBe('Active');
    expect(await apiStatus(asked.body.key)).toBe(200);
  });

  it('deletes a key after confirming', async () => {
    await row('website').getByRole('button', { name: 'Delete website' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Key “website” deleted.').waitFor();
    expect(await row('website').count()).toBe(0);
    expect((await listKeys(server, owner.id)).map((k) => k.name).sort()).toEqual(['asked', 'ci']);
  });

  it('sets the registration policy', async () => {
    await page.getByLabel('Closed').check();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Registration policy set to “closed”.').waitFor();
    expect((await getAccount(server, owner.id)).registration_policy).toBe('closed');
    await browser.screenshot(page, 'e2e-keys-final');
    await expectAccessible('keys page');
  });

  it('sees the overview, signs out, and is asked to sign in again', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    expect(await page.getByText('2 active or waiting for approval.').isVisible()).toBe(true);
    await expectAccessible('dashboard');
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(`${server.url}/sign-in?signed_out=1`);
    expect(await page.getByText('You are signed out.').isVisible()).toBe(true);
    await page.goto(`${server.url}/keys`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
  });

  it('met no console error on the way (a CSP violation would be one)', () => {
    expect(page.errors).toEqual([]);
  });
});
