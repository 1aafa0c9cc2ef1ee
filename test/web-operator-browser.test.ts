// End to end in Chromium: the operator signs in with the admin token and does each operator task the way a person
// would — finds an account, grants credits with a note and reads the ledger, suspends the account and sees the API
// refuse its key, mints a key and copies it, reads the outbox, redelivers a webhook, looks at the system status —
// with an axe scan and screenshots (light, dark, phone) of every operator page on the way.

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeViolations, PHONE, startBrowser, type TestBrowser } from './support/browser.ts';
import { eventually } from './support/eventually.ts';
import { type AccountView, createAccount, getAccount, mintKey, outbox } from './support/fixtures.ts';
import { type HttpsReceiver, startHttpsReceiver, testCertificate } from './support/https-receiver.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { postForm } from './support/web-session.ts';

const cert = testCertificate();

let server: TestServer;
let sources: Awaited<ReturnType<typeof startProductSource>>;
let receiver: HttpsReceiver;
let browser: TestBrowser;
let page: Page & { errors: string[] };
let customer: AccountView;
let customerKey = '';
let enhancementId = '';

beforeAll(async () => {
  sources = await startProductSource();
  receiver = await startHttpsReceiver(cert, () => 503);
  server = await startTestServer({
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
    LIGHTBOX_WEBHOOK_RETRY_DELAYS: '0.1',
    LIGHTBOX_SUPPORT_EMAIL: 'help@example.test',
  });
  browser = await startBrowser();
  page = await browser.newPage();

  // A customer with a key, mail in the outbox, a failed item and a webhook receiver that is down.
  customer = await createAccount(server, {
    email: `Customer.${crypto.randomUUID().slice(0, 6)}@example.test`,
  });
  customerKey = (await mintKey(server, customer.id, { environment: 'test', name: 'shop' })).key;
  await postForm(server, '/sign-in', { email: customer.email });
  const created = await server.request('POST', '/api/v1/product-image-enhancements', {
    key: customerKey,
    headers: { 'idempotency-key': `operator-e2e-${Date.now()}` },
    json: {
      images: [
        { source_url: `${sources.base}/shoe.jpg`, external_id: 'shoe' },
        { source_url: `${sources.base}/bag.jpg#simulate=provider_error`, external_id: 'bag' },
      ],
      webhook_url: receiver.url,
    },
  });
  expect(created.status, created.text).toBe(201);
  enhancementId = created.body.enhancement.id;
  const events = await eventually(
    () =>
      server.services.store.db
        .selectFrom('webhook_events')
        .select('status')
        .where('enhancement_id', '=', enhancementId)
        .execute(),
    (rows) => rows.length >= 3 && rows.every((r) => r.status === 'failed'),
    30_000,
  );
  expect(events.map((e) => e.status)).toEqual(['failed', 'failed', 'failed']);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await receiver?.close();
  await sources?.close();
});

async function expectAccessible(name: string) {
  const violations = await browser.seriousViolations(page);
  expect(violations, `${name}:\n${describeViolations(violations)}`).toEqual([]);
}

/** Screenshots of the current page: desktop light (the suite's tab), desktop dark and phone. */
async function look(name: string) {
  await browser.screenshot(page, `operator-${name}-light`);
  await expectAccessible(`${name} (light)`);
  const url = page.url();
  for (const [label, options] of [
    ['dark', { colorScheme: 'dark' as const }],
    ['phone', { viewport: PHONE }],
  ] as const) {
    const other = await browser.newPage(options);
    await other.goto(url);
    await browser.screenshot(other, `operator-${name}-${label}`);
    const violations = await browser.seriousViolations(other);
    expect(violations, `${name} (${label}):\n${describeViolations(violations)}`).toEqual([]);
    if (label === 'phone') {
      const width = await other.evaluate(() => document.documentElement.scrollWidth);
      expect(width, `${name} on a phone`).toBeLessThanOrEqual(PHONE.width);
    }
    expect(other.errors, `${name} (${label})`).toEqual([]);
    await other.close();
  }
}

describe('the operator in the browser', () => {
  it('is asked for the admin token, is told when it is wrong, and signs in', async () => {
    await page.goto(`${server.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    await look('sign-in');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That is not the admin token of this server.').waitFor();
    expect(await page.getByLabel('Admin token').inputValue()).toBe('');
    await page.getByLabel('Admin token').fill(server.adminToken);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.url}/admin`);
    await page.getByRole('heading', { name: 'System status', level: 1 }).waitFor();
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.content()).not.toContain(server.adminToken);
  });

  it('looks at the system status: every port ready, the queue, the failed item and webhooks', async () => {
    expect(await page.getByText('Ready: every port answers.').isVisible()).toBe(true);
    for (const port of ['store', 'blobs', 'queue']) {
      const row = page
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name: port, exact: true }) });
      expect(await row.getByText('ok', { exact: true }).isVisible(), port).toBe(true);
    }
    expect(await page.getByRole('rowheader', { name: 'enhancement.item', exact: true }).count()).toBe(1);
    const failedItems = page.getByRole('region', { name: 'Failed enhancement items' });
    expect(await failedItems.getByText('provider_error', { exact: true }).isVisible()).toBe(true);
    const failedHooks = page.getByRole('region', { name: 'Webhook deliveries out of retries' });
    expect(await failedHooks.getByRole('row').count()).toBeGreaterThanOrEqual(4);
    await look('status');
  });

  it('finds the account by part of its email and opens it', async () => {
    await page.getByRole('navigation', { name: 'Operator' }).getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('heading', { name: 'Accounts', level: 1 }).waitFor();
    const part = customer.email.slice(0, 14).toUpperCase();
    await page.getByLabel('Email contains').fill(part);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: `Accounts whose email contains “${part}”` }).waitFor();
    await look('accounts');
    await page.getByRole('link', { name: customer.email }).click();
    await page.getByRole('heading', { name: customer.email, level: 1 }).waitFor();
  });

  it('grants credits with a note and sees the grant in the ledger', async () => {
    await page.getByLabel('Amount').fill('300');
    await page.getByLabel('Kind').selectOption('purchased');
    await page.getByLabel(/^Note/).fill('Annual plan, invoice 4711');
    await page.getByRole('button', { name: 'Grant credits' }).click();
    await page.getByText('Credits granted.').waitFor();
    const ledger = page.getByRole('region', { name: 'Ledger' });
    const grant = ledger.getByRole('row').filter({ hasText: 'Annual plan, invoice 4711' });
    expect(await grant.getByText('+300').isVisible()).toBe(true);
    expect((await getAccount(server, customer.id)).credits.paid_available).toBe(300);
  });

  it('suspends the account after confirming; the API refuses its key; then lifts it', async () => {
    expect((await server.request('GET', '/v1/usage', { key: customerKey })).status).toBe(200);
    await page.getByRole('button', { name: 'Suspend account' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await browser.screenshot(page, 'operator-account-confirm-light');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await getAccount(server, customer.id)).suspended).toBe(false);

    await page.getByRole('button', { name: 'Suspend account' }).click();
    await dialog.getByRole('button', { name: 'Suspend account' }).click();
    await page.getByText('Account suspended: its keys are refused from now on.').waitFor();
    const refused = await server.request('GET', '/api/v1/product-image-enhancements', { key: customerKey });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('account_suspended');
    expect((await server.request('GET', '/v1/usage', { key: customerKey })).status).toBe(403);
    await look('account');

    await page.getByRole('button', { name: 'Lift suspension' }).click();
    await page.getByText('Suspension lifted: its keys work again.').waitFor();
    expect((await server.request('GET', '/v1/usage', { key: customerKey })).status).toBe(200);
  });

  it('mints a key, sees it once and copies it', async () => {
    await page.getByLabel('Name').fill('issued by support');
    await page.getByLabel('Environment').selectOption('live');
    await page.getByRole('button', { name: 'Mint key' }).click();
    await page.getByRole('region', { name: 'New live key' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('minted');
    await page.getByRole('button', { name: 'Copy API key' }).click();
    await page.getByRole('button', { name: 'Copy API key' }).filter({ hasText: 'Copied' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toMatch(/^img_live_[0-9A-Za-z]{36}$/);
    expect((await server.request('GET', '/v1/usage', { key: copied })).status).toBe(200);
    const keys = page.getByRole('region', { name: 'API keys' });
    await keys.getByRole('button', { name: 'Revoke issued by support' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Key revoked: the API refuses it for good.').waitFor();
    expect((await server.request('GET', '/v1/usage', { key: copied })).status).toBe(401);
    expect(await page.content()).not.toContain(copied);
  });

  it('reads the mail sent to the account, with its sign-in link to copy', async () => {
    await page.getByRole('link', { name: 'Mail sent to this address' }).click();
    await page.getByRole('heading', { name: 'Outbox', level: 1 }).waitFor();
    const [mail] = await outbox(server, customer.email);
    const link = mail?.links[0]?.url as string;
    expect(await page.getByLabel('Sign-in link', { exact: true }).inputValue()).toBe(link);
    await look('outbox');
    await page.getByRole('button', { name: 'Copy Sign-in link' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  });

  it('sees every failed attempt of a webhook and redelivers it once the receiver is back', async () => {
    await page
      .getByRole('navigation', { name: 'Operator' })
      .getByRole('link', { name: 'Webhook deliveries' })
      .click();
    await page.getByLabel('Enhancement id').fill(enhancementId);
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    const events = page.locator('article.webhook-event');
    await events.first().waitFor();
    expect(await events.count()).toBe(3);
    const first = events.first();
    expect(await first.getByRole('row').filter({ hasText: 'http_error' }).count()).toBe(2);
    await look('webhooks');

    receiver.respond = () => 200;
    const eventId = ((await first.getAttribute('id')) ?? '').replace(/^event-/, '');
    await first.getByRole('button', { name: /^Redeliver/ }).click();
    await page.getByText('Redelivery queued').waitFor();
    const redelivered = await eventually(
      () =>
        server.services.store.db
          .selectFrom('webhook_events')
          .select('status')
          .where('id', '=', eventId)
          .executeTakeFirst(),
      (row) => row?.status === 'delivered',
      20_000,
    );
    expect(redelivered?.status).toBe('delivered');
    await page.getByLabel('Status').selectOption('delivered');
    await page.getByRole('button', { name: 'Filter' }).click();
    const delivered = page.locator(`#event-${eventId}`);
    await delivered.waitFor();
    expect(await delivered.getByText('3 attempts').isVisible()).toBe(true);
    expect(await delivered.getByRole('row').filter({ hasText: 'delivered' }).count()).toBe(1);
  });

  it('signs out, and the operator pages ask for the token again', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(`${server.url}/admin/sign-in?signed_out=1`);
    expect(await page.getByText('You are signed out of the operator pages.').isVisible()).toBe(true);
    await page.goto(`${server.url}/admin/accounts`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
  });

  it('met no console error on the way (a CSP violation would be one)', () => {
    // The wrong token's page answers 401 on purpose: Chromium logs that as a failed resource.
    expect(page.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
