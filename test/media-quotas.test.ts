import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathOf } from './support/fixtures.ts';
import * as images from './support/images.ts';
import {
  expectHostingError,
  type Keyed,
  keyedAccount,
  listAll,
  nowSeconds,
  scratchFiles,
  storedOriginals,
  upload,
  uploaded,
  usage,
} from './support/media-fixtures.ts';
import { startTestServer, type TestResponse, type TestServer } from './support/test-server.ts';

const BILLING_URL = 'https://billing.example.test/plans';
const LINK_TTL_SECONDS = 7 * 86_400;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    // free: 2 uploads a month and 1 MB of storage; pro: 5 uploads and 10 MB, the top plan.
    LIGHTBOX_PLANS: 'free:2:1:Free,pro:5:10:Pro',
    LIGHTBOX_ANON_UPLOADS_PER_HOUR: '2',
    LIGHTBOX_BILLING_URL: BILLING_URL,
  });
});

afterAll(async () => {
  await server?.close();
});

/** `quota_exceeded` exactly as the error reference shows it: action + usage, nothing else. */
function expectQuotaExceeded(response: TestResponse, message: string, usageBody: unknown) {
  expectHostingError(response, 403, 'quota_exceeded', { message, extra: ['action', 'usage'] });
  expect(response.body.usage).toEqual(usageBody);
  return response.body.action as { type: string; url: string; label: string };
}

/** A signed link of docs/api.md §2.8 on this server: `<path>?t=&exp=&sig=`, valid about 7 days. */
function expectSignedLink(url: string, pathname: string) {
  const parsed = new URL(url);
  expect(`${parsed.origin}${parsed.pathname}`).toBe(`${server.url}${pathname}`);
  expect([...parsed.searchParams.keys()]).toEqual(['t', 'exp', 'sig']);
  expect(Math.abs(Number(parsed.searchParams.get('exp')) - (nowSeconds() + LINK_TTL_SECONDS))).toBeLessThan(
    10,
  );
}

async function useUp(key: string, uploads: number) {
  for (let i = 0; i < uploads; i++) await uploaded(server, await images.png(6 + i, 6), { key });
}

describe('monthly upload quota', () => {
  it('unverified account: the 3rd upload → 403 quota_exceeded with a verify action, nothing stored', async () => {
    const owner = await keyedAccount(server, { verified: false });
    await useUp(owner.key, 2);
    const before = await storedOriginals(server);
    const response = await upload(server, await images.png(), { key: owner.key });
    const action = expectQuotaExceeded(
      response,
      'Unverified upload limit reached. Verify your email to unlock permanent storage.',
      { plan: 'free', uploads_used: 2, uploads_limit: 2 },
    );
    expect(Object.keys(action).sort()).toEqual(['label', 'type', 'url']);
    expect(action).toMatchObject({ type: 'verify', label: 'Verify email for permanent storage' });
    expectSignedLink(action.url, '/verify');
    // The link is genuine: it answers a page, not the error page of a tampered link.
    expect((await server.request('GET', pathOf(action.url))).status).toBe(200);
    expect((await server.request('GET', `${pathOf(action.url)}x`)).status).not.toBe(200);

    expect(await storedOriginals(server)).toEqual(before);
    expect(await listAll(server, owner.key)).toHaveLength(2);
    expect((await usage(server, owner.key)).uploads.used).toBe(2);
  });

  it('verified account with a higher plan: upgrade action with a signed /upgrade/pro link', async () => {
    const owner = await keyedAccount(server, { verified: true });
    await useUp(owner.key, 2);
    const response = await upload(server, await images.png(), { key: owner.key });
    const action = expectQuotaExceeded(response, 'Monthly upload limit reached.', {
      plan: 'free',
      uploads_used: 2,
      uploads_limit: 2,
    });
    expect(action).toMatchObject({ type: 'upgrade', label: 'Upgrade to Pro for 5 uploads' });
    expectSignedLink(action.url, '/upgrade/pro');
    // Following it forwards to the operator's billing page with the account and the plan.
    const followed = await server.request('GET', pathOf(action.url));
    expect(followed.status).toBe(302);
    const target = new URL(followed.headers.get('location') ?? '');
    expect(`${target.origin}${target.pathname}`).toBe(BILLING_URL);
    expect(Object.fromEntries(target.searchParams)).toEqual({ account: owner.accountId, plan: 'pro' });
  });

  it('top plan: redirect action to billing', async () => {
    const owner = await keyedAccount(server, { verified: true, plan: 'pro' });
    await useUp(owner.key, 5);
    const response = await upload(server, await images.png(), { key: owner.key });
    const action = expectQuotaExceeded(response, 'Monthly upload limit reached.', {
      plan: 'pro',
      uploads_used: 5,
      uploads_limit: 5,
    });
    expect(action).toEqual({ type: 'redirect', url: BILLING_URL, label: 'Contact us for higher limits' });
  });

  it('imports count against the same quota', async () => {
    const owner = await keyedAccount(server, { verified: true });
    await useUp(owner.key, 2);
    // Refused before anything is fetched: the URL does not even need to exist.
    const response = await server.request('POST', '/v1/import', {
      key: owner.key,
      json: { url: 'http://127.0.0.1:9/never-fetched.png' },
    });
    expectQuotaExceeded(response, 'Monthly upload limit reached.', {
      plan: 'free',
      uploads_used: 2,
      uploads_limit: 2,
    });
  });

  it('deleting media does not give uploads back', async () => {
    const owner = await keyedAccount(server, { verified: true });
    const first = await uploaded(server, await images.png(), { key: owner.key });
    await uploaded(server, await images.png(), { key: owner.key });
    await server.request('DELETE', `/v1/media/${first.id}`, { key: owner.key });
    const response = await upload(server, await images.png(), { key: owner.key });
    expectQuotaExceeded(response, 'Monthly upload limit reached.', {
      plan: 'free',
      uploads_used: 2,
      uploads_limit: 2,
    });
  });

  it('holds under concurrency: 5 simultaneous uploads with 2 left → exactly 2 succeed', async () => {
    const owner = await keyedAccount(server, { verified: true });
    const files = await Promise.all(Array.from({ length: 5 }, (_, i) => images.png(20 + i, 20)));
    const before = await storedOriginals(server);
    const responses = await Promise.all(files.map((file) => upload(server, file, { key: owner.key })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses, responses.map((r) => r.text).join('\n')).toEqual([201, 201, 403, 403, 403]);
    for (const refused of responses.filter((r) => r.status === 403)) {
      expect(refused.body.error).toBe('quota_exceeded');
      expect(refused.body.usage).toEqual({ plan: 'free', uploads_used: 2, uploads_limit: 2 });
    }
    const created = responses.filter((r) => r.status === 201).map((r) => r.body.id as string);
    expect((await listAll(server, owner.key)).map((m) => m.id).sort()).toEqual([...created].sort());
    expect((await usage(server, owner.key)).uploads.used).toBe(2);
    // Refused uploads that got as far as writing their original took it back.
    expect((await storedOriginals(server)).filter((f) => !before.includes(f)).sort()).toEqual(
      [...created].sort(),
    );
    expect(await scratchFiles(server)).toEqual([]);
  });
});

describe('storage quota', () => {
  it('an upload that would cross the plan’s storage → 403 quota_exceeded, not charged, nothing kept', async () => {
    const owner = await keyedAccount(server, { verified: true });
    const first = await uploaded(server, await images.noisePng(600_000), { key: owner.key });
    const before = await storedOriginals(server);
    const response = await upload(server, await images.noisePng(600_000), { key: owner.key });
    const action = expectQuotaExceeded(response, 'Storage limit reached.', {
      plan: 'free',
      uploads_used: 1,
      uploads_limit: 2,
    });
    expect(action.type).toBe('upgrade');
    expect(await storedOriginals(server)).toEqual(before);
    expect(await scratchFiles(server)).toEqual([]);
    const after = await usage(server, owner.key);
    expect(after.uploads.used).toBe(1);
    expect(after.storage).toEqual({ used_bytes: first.filesize, limit_bytes: 1024 * 1024 });
    // A small file still fits.
    await uploaded(server, await images.png(), { key: owner.key });
  });
});

describe('anonymous uploads per IP (LIGHTBOX_ANON_UPLOADS_PER_HOUR=2)', () => {
  it('the 3rd in an hour → 429 rate_limited with a redirect action and retry_after = Retry-After', async () => {
    const responses: TestResponse[] = [];
    for (let i = 0; i < 2; i++) responses.push(await upload(server, await images.png()));
    for (const [i, response] of responses.entries()) {
      expect(response.status, response.text).toBe(201);
      expect(response.headers.get('x-ratelimit-limit')).toBe('2');
      expect(response.headers.get('x-ratelimit-remaining')).toBe(String(1 - i));
      expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThan(nowSeconds());
    }

    const before = await storedOriginals(server);
    const refused = await upload(server, await images.png());
    expectHostingError(refused, 429, 'rate_limited', { extra: ['action', 'retry_after'] });
    const retryAfter = refused.body.retry_after;
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
    const minutes = Math.ceil(retryAfter / 60);
    expect(refused.body.message).toBe(
      `Hourly limit of 2 uploads reached. Resets in ${minutes} minute${minutes === 1 ? '' : 's'}. Get an API key for higher limits.`,
    );
    expect(refused.body.action).toEqual({
      type: 'redirect',
      url: `${server.url}/docs/quick-start`,
      label: 'Create API Key',
    });
    expect(refused.headers.get('x-ratelimit-limit')).toBe('2');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('x-ratelimit-reset'))).toBeGreaterThan(nowSeconds());
    expect(await storedOriginals(server)).toEqual(before);

    // Anonymous imports share the budget; keyed uploads from the same address do not.
    const imported = await server.request('POST', '/v1/import', {
      json: { url: 'http://127.0.0.1:9/never-fetched.png' },
    });
    expectHostingError(imported, 429, 'rate_limited', { extra: ['action', 'retry_after'] });
    const owner: Keyed = await keyedAccount(server, { verified: true });
    await uploaded(server, await images.png(), { key: owner.key });
  });
});
