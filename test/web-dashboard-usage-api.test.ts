// The dashboard's usage and credits endpoints over real HTTP (docs/web.md): the plan and this month's figures,
// the day-by-day series the charts draw (checked against the rows they come from), and the ledger in pages.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../src/lib/time.ts';
import { createAccount, grantCredits } from './support/fixtures.ts';
import * as images from './support/images.ts';
import { uploadForm } from './support/media-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { signIn } from './support/web-session.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    LIGHTBOX_PLANS: 'free:50:1024:Free,pro:1000:102400:Pro',
    LIGHTBOX_DEFAULT_PLAN: 'free',
    LIGHTBOX_SIGN_IN_PER_EMAIL_PER_HOUR: '1000',
  });
});
afterAll(async () => {
  await server?.close();
});

async function owner() {
  const account = await createAccount(server, { verified: true });
  return { account, session: await signIn(server, account.email) };
}

const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);

describe('usage', () => {
  it('the plan, this month’s uploads against its limit, storage and credit balances', async () => {
    const me = await owner();
    await grantCredits(server, me.account.id, 300);
    await grantCredits(server, me.account.id, 40, 'promotional');
    let bytes = 0;
    for (const environment of ['live', 'test']) {
      const response = await me.session.request('POST', `/dashboard/api/media?environment=${environment}`, {
        body: uploadForm(await images.jpeg(64, 48), { filename: 'x.jpg' }),
      });
      bytes += response.body.filesize;
    }
    const usage = await me.session.request('GET', '/dashboard/api/usage');
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({
      plan: { name: 'free', label: 'Free' },
      uploads: { used: 2, limit: 50, resets_at: expect.any(Number) },
      storage: { used_bytes: bytes, limit_bytes: 1024 * 1024 * 1024 },
      credits: { paid_available: 300, paid_reserved: 0, promotional: 40, lifetime_purchased: 300 },
      credits_per_image: expect.any(Number),
    });
  });
});

describe('the series of the charts', () => {
  it('one point per day: uploads and their bytes, storage held, credits at the end of each day', async () => {
    const me = await owner();
    const upload = async (width: number) =>
      (
        await me.session.request('POST', '/dashboard/api/media', {
          body: uploadForm(await images.jpeg(width, 40), { filename: 'x.jpg' }),
        })
      ).body as { id: string; filesize: number };
    const old = await upload(50);
    const recent = await upload(60);
    const todays = await upload(70);
    // Back-dated rows, as if uploaded and granted days ago.
    const { db } = server.services.store;
    const move = (id: string, days: number) =>
      db
        .updateTable('media')
        .set({ created_at: Date.now() - days * DAY_MS })
        .where('id', '=', id)
        .execute();
    await move(old.id, 40);
    await move(recent.id, 2);
    const granted = await grantCredits(server, me.account.id, 120);
    await db
      .updateTable('ledger_entries')
      .set({ created_at: Date.now() - 3 * DAY_MS })
      .where('id', '=', granted.entry.id)
      .execute();
    await grantCredits(server, me.account.id, 30);
    await grantCredits(server, me.account.id, 5, 'promotional');

    const response = await me.session.request('GET', '/dashboard/api/usage/series?days=30');
    expect(response.status, response.text).toBe(200);
    const days = response.body.days as Record<string, number | string>[];
    expect(days).toHaveLength(30);
    expect(days[0]?.day).toBe(daysAgo(29));
    expect(days.at(-1)?.day).toBe(today());
    const on = (day: string) => days.find((d) => d.day === day);
    // The 40-day-old image is before the window: it is storage from the first day on, not an upload in it.
    expect(on(daysAgo(29))).toMatchObject({ uploads: 0, storage_bytes: old.filesize, paid_available: 0 });
    expect(on(daysAgo(3))).toMatchObject({ uploads: 0, paid_available: 120, promotional: 0 });
    expect(on(daysAgo(2))).toMatchObject({
      uploads: 1,
      upload_bytes: recent.filesize,
      storage_bytes: old.filesize + recent.filesize,
    });
    expect(on(today())).toMatchObject({
      uploads: 1,
      storage_bytes: old.filesize + recent.filesize + todays.filesize,
      paid_available: 150,
      promotional: 5,
      credits_spent: 0,
    });
    expect(days.reduce((sum, d) => sum + Number(d.uploads), 0)).toBe(2);

    for (const query of ['?days=0', '?days=367', '?days=x']) {
      expect((await me.session.request('GET', `/dashboard/api/usage/series${query}`)).status, query).toBe(
        400,
      );
    }
  });
});

describe('the ledger', () => {
  it('newest first in pages, in the shape of docs/api.md §4.4 (operator notes are not shown)', async () => {
    const me = await owner();
    for (let i = 1; i <= 5; i++)
      await grantCredits(server, me.account.id, i * 10, 'purchased', `secret note ${i}`);
    const first = await me.session.request('GET', '/dashboard/api/credits/ledger?limit=3');
    expect(first.status).toBe(200);
    expect(first.body.data.map((e: { amount: number }) => e.amount)).toEqual([50, 40, 30]);
    expect(Object.keys(first.body.data[0]).sort()).toEqual(
      ['amount', 'balance_after', 'created_at', 'enhancement_id', 'id', 'kind', 'type'].sort(),
    );
    expect(first.text).not.toContain('secret note');
    const second = await me.session.request(
      'GET',
      `/dashboard/api/credits/ledger?limit=3&before=${first.body.next_before}`,
    );
    expect(second.body.data.map((e: { amount: number }) => e.amount)).toEqual([20, 10]);
    expect(second.body.next_before).toBeNull();
    const balances = second.body.data.map((e: { balance_after: number }) => e.balance_after);
    expect(balances).toEqual([30, 10]);
  });
});
