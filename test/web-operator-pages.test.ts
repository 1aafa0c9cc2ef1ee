// What each operator page does, over real HTTP (docs/web.md, "Operator pages"): accounts (search, paging, create,
// plan, suspension, payment risk, verification, policy), credits and the ledger, keys, the outbox, webhook
// redelivery and the system status — through the same operator service as /admin/v1, so the API follows every
// change, and bad input changes nothing. Sign-in, sessions and CSRF: web-operator.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.ts';
import {
  type AccountView,
  createAccount,
  getAccount,
  listKeys,
  mintKey,
  outbox,
  uniqueEmail,
} from './support/fixtures.ts';
import { type HttpsReceiver, startHttpsReceiver, testCertificate } from './support/https-receiver.ts';
import { failedWebhookEvent, type OperatorSession, operatorSignIn } from './support/operator-session.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { BROWSER_ACCEPT, postForm, signIn } from './support/web-session.ts';

const cert = testCertificate();

let server: TestServer;
let sources: Awaited<ReturnType<typeof startProductSource>>;
let receiver: HttpsReceiver;

beforeAll(async () => {
  sources = await startProductSource();
  receiver = await startHttpsReceiver(cert, () => 500);
  server = await startTestServer({
    LIGHTBOX_SIGN_IN_PER_EMAIL_PER_HOUR: '1000',
    LIGHTBOX_SIGN_IN_PER_IP_PER_HOUR: '100000',
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
    LIGHTBOX_WEBHOOK_RETRY_DELAYS: '0.1',
  });
});
afterAll(async () => {
  await server?.close();
  await receiver?.close();
  await sources?.close();
});

/** Whether a cookie opens the operator pages (200) or is sent to sign in (302). */
async function adminWith(cookie: string): Promise<number> {
  const page = await server.request('GET', '/admin', { headers: { cookie, accept: BROWSER_ACCEPT } });
  return page.status;
}

const failedEvent = () => failedWebhookEvent(server, { sourceBase: sources.base, receiverUrl: receiver.url });

describe('accounts', () => {
  let operator: OperatorSession;
  beforeAll(async () => {
    operator = await operatorSignIn(server);
  });

  it('are found by any part of their email, whatever its case; % and _ match only themselves', async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const emails = [
      `Ann.${tag}@Example.test`,
      `bob.${tag}@example.test`,
      `a_b.${tag}@example.test`,
      `axb.${tag}@example.test`,
    ];
    const made: AccountView[] = [];
    for (const email of emails) made.push(await createAccount(server, { email }));
    const found = async (q: string) => {
      const page = await operator.page(`/admin/accounts?q=${encodeURIComponent(q)}`);
      expect(page.status).toBe(200);
      return made.filter((a) => page.text.includes(`href="/admin/accounts/${a.id}"`)).map((a) => a.email);
    };
    expect(await found(tag)).toHaveLength(4);
    expect(await found(`ANN.${tag}`)).toEqual([`ann.${tag}@example.test`]);
    expect(await found(`a_b.${tag}`)).toEqual([`a_b.${tag}@example.test`]);
    expect(await found(`%.${tag}`)).toEqual([]);
    const none = await operator.page(`/admin/accounts?q=${tag}-nobody`);
    expect(none.text).toContain(`No account’s email contains “${tag}-nobody”.`);
  });

  it('list the newest first, 50 to a page, and the next page continues where the last ended', async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const made: AccountView[] = [];
    for (let i = 0; i < 53; i++)
      made.push(await createAccount(server, { email: `p${i}.${tag}@example.test` }));
    const idsOn = (text: string) =>
      made.filter((a) => text.includes(`href="/admin/accounts/${a.id}"`)).map((a) => a.id);
    const first = await operator.page(`/admin/accounts?q=${tag}`);
    const firstIds = idsOn(first.text);
    expect(firstIds).toHaveLength(50);
    const older = /href="(\/admin\/accounts\?q=[^"]+&amp;before=[^"]+)"/
      .exec(first.text)?.[1]
      ?.replaceAll('&amp;', '&');
    expect(older).toBeDefined();
    const second = await operator.page(older as string);
    const secondIds = idsOn(second.text);
    expect(secondIds).toHaveLength(3);
    expect(new Set([...firstIds, ...secondIds])).toEqual(new Set(made.map((a) => a.id)));
    // Newest first: the first three made are on the second page.
    expect(new Set(secondIds)).toEqual(new Set(made.slice(0, 3).map((a) => a.id)));
  });

  it('are created from the page; a taken address, a bad address or an unknown plan is refused and creates nothing', async () => {
    const email = uniqueEmail();
    const created = await operator.form('/admin/accounts', { email, plan: 'pro', email_verified: '1' });
    expect(created.status).toBe(303);
    const location = created.headers.get('location') as string;
    expect(location).toMatch(/^\/admin\/accounts\/[^/?]+\?done=created$/);
    const page = await operator.page(location);
    expect(page.text).toContain('Account created.');
    const [account] = (await server.admin('GET', `/admin/v1/accounts?email=${encodeURIComponent(email)}`))
      .body.data;
    expect(account).toMatchObject({ email, plan: 'pro', email_verified: true });

    const count = async () => (await server.admin('GET', '/admin/v1/accounts?limit=1000')).body.data.length;
    const before = await count();
    for (const [fields, status, text] of [
      [{ email, plan: 'free' }, 409, `An account with email ${email} exists.`],
      [{ email: 'not an address', plan: 'free' }, 400, 'Enter an email address like name@example.com.'],
      [{ email: uniqueEmail(), plan: 'platinum' }, 400, 'Unknown plan'],
    ] as const) {
      const refused = await operator.form('/admin/accounts', fields);
      expect(refused.status, JSON.stringify(fields)).toBe(status);
      expect(refused.text).toContain(text.split('"')[0] as string);
    }
    expect(await count()).toBe(before);
  });

  it('change plan, suspension, payment risk, verification and policy; the API follows each change', async () => {
    const account = await createAccount(server, { verified: false });
    const key = await mintKey(server, account.id, { environment: 'live' });
    const update = (fields: Record<string, string>) =>
      operator.form(`/admin/accounts/${account.id}/update`, fields);
    const usage = async () => (await server.request('GET', '/v1/usage', { key: key.key })).status;

    const suspended = await update({ suspended: '1' });
    expect(suspended.status).toBe(303);
    expect(suspended.headers.get('location')).toBe(`/admin/accounts/${account.id}?done=suspended`);
    expect((await getAccount(server, account.id)).suspended).toBe(true);
    expect(await usage()).toBe(403);
    const refused = await server.request('GET', '/api/v1/product-image-enhancements', { key: key.key });
    expect(refused.body.error.code).toBe('account_suspended');
    const page = await operator.page(`/admin/accounts/${account.id}?done=suspended`);
    expect(page.text).toContain('Account suspended: its keys are refused from now on.');
    expect(page.text).toContain('Lift suspension');
    expect((await update({ suspended: '0' })).status).toBe(303);
    expect(await usage()).toBe(200);

    expect((await update({ plan: 'pro' })).status).toBe(303);
    expect((await getAccount(server, account.id)).plan).toBe('pro');
    expect((await update({ payment_risk: '1' })).status).toBe(303);
    expect((await getAccount(server, account.id)).payment_risk).toBe(true);
    expect((await update({ email_verified: '1' })).status).toBe(303);
    expect((await getAccount(server, account.id)).email_verified).toBe(true);
    expect((await update({ registration_policy: 'closed' })).status).toBe(303);
    expect((await getAccount(server, account.id)).registration_policy).toBe('closed');
    const closed = await server.request('POST', '/v1/keys', { json: { email: account.email } });
    expect(closed.body.error).toBe('registration_closed');

    const before = await getAccount(server, account.id);
    for (const fields of [
      { plan: 'platinum' },
      { registration_policy: 'sometimes' },
      { suspended: 'yes' },
      {},
    ] as Record<string, string>[]) {
      const bad = await update(fields);
      expect(bad.status, JSON.stringify(fields)).toBe(400);
      expect(bad.text).toContain('invalid_payload');
      expect(bad.text).toContain(`<h1>${account.email}</h1>`);
    }
    expect(await getAccount(server, account.id)).toEqual(before);
    const missing = await operator.form('/admin/accounts/acc_nobody/update', { suspended: '1' });
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('Back to the operator pages');
    expect((await operator.page('/admin/accounts/acc_nobody')).status).toBe(404);
  });

  it('grant credits with a note, shown in the ledger; bad grants are refused and change nothing', async () => {
    const account = await createAccount(server, { verified: true });
    const granted = await operator.form(`/admin/accounts/${account.id}/credits`, {
      amount: '250',
      kind: 'purchased',
      note: 'Invoice 2024-117 <paid>',
    });
    expect(granted.status).toBe(303);
    expect(granted.headers.get('location')).toBe(`/admin/accounts/${account.id}?done=granted#credits`);
    const after = await getAccount(server, account.id);
    expect(after.credits).toMatchObject({ paid_available: 250, lifetime_purchased: 250 });
    const ledger = (await server.admin('GET', `/admin/v1/accounts/${account.id}/ledger`)).body.data;
    expect(ledger).toEqual([
      expect.objectContaining({ type: 'grant', amount: 250, note: 'Invoice 2024-117 <paid>' }),
    ]);
    const page = await operator.page(`/admin/accounts/${account.id}`);
    expect(page.text).toContain('Invoice 2024-117 &lt;paid&gt;');
    expect(page.text).toContain('<td class="amount" data-label="Amount">+250</td>');

    for (const fields of [
      { amount: '0', kind: 'purchased' },
      { amount: '-5', kind: 'purchased' },
      { amount: '1.5', kind: 'purchased' },
      { amount: 'ten', kind: 'purchased' },
      { amount: '', kind: 'purchased' },
      { amount: '1000000001', kind: 'purchased' },
      { amount: '5', kind: 'free' },
      { amount: '5', kind: 'promotional', note: 'n'.repeat(501) },
    ] as Record<string, string>[]) {
      const refused = await operator.form(`/admin/accounts/${account.id}/credits`, fields);
      expect(refused.status, JSON.stringify(fields).slice(0, 80)).toBe(400);
      expect(refused.text).toContain('invalid_payload');
    }
    expect(await getAccount(server, account.id)).toEqual(after);
    expect((await server.admin('GET', `/admin/v1/accounts/${account.id}/ledger`)).body.data).toHaveLength(1);
    expect(
      (await operator.form('/admin/accounts/acc_nobody/credits', { amount: '5', kind: 'purchased' })).status,
    ).toBe(404);
  });

  it('mint a key shown once; deactivate, reactivate, revoke and delete it; the API follows', async () => {
    const account = await createAccount(server, { verified: true });
    const expiresOn = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    const minted = await operator.form(`/admin/accounts/${account.id}/keys`, {
      name: 'support-issued',
      environment: 'live',
      expires_on: expiresOn,
    });
    expect(minted.status).toBe(200);
    expect(minted.headers.get('cache-control')).toBe('no-store');
    const key = /<input id="[^"]+" type="text" readonly value="(img_live_[0-9A-Za-z]{36})"/.exec(
      minted.text,
    )?.[1];
    expect(key).toBeDefined();
    const [row] = await listKeys(server, account.id);
    expect(row).toMatchObject({
      name: 'support-issued',
      status: 'active',
      expires_at: `${expiresOn}T23:59:59.000Z`,
    });
    const usage = async () => (await server.request('GET', '/v1/usage', { key: key as string })).status;
    expect(await usage()).toBe(200);
    expect((await operator.page(`/admin/accounts/${account.id}`)).text).not.toContain(key as string);

    const base = `/admin/accounts/${account.id}/keys/${row?.key_id}`;
    expect((await operator.form(`${base}/status`, { status: 'inactive' })).headers.get('location')).toBe(
      `/admin/accounts/${account.id}?done=key_inactive#keys`,
    );
    expect(await usage()).toBe(401);
    await operator.form(`${base}/status`, { status: 'active' });
    expect(await usage()).toBe(200);
    await operator.form(`${base}/status`, { status: 'revoked' });
    expect(await usage()).toBe(401);
    const back = await operator.form(`${base}/status`, { status: 'active' });
    expect(back.status).toBe(400);
    expect(back.text).toContain('A revoked key cannot be reactivated.');
    expect(await usage()).toBe(401);
    expect((await operator.form(`${base}/delete`)).headers.get('location')).toBe(
      `/admin/accounts/${account.id}?done=key_deleted#keys`,
    );
    expect(await listKeys(server, account.id)).toEqual([]);

    for (const fields of [
      { environment: 'prod' },
      { environment: 'live', name: 'n'.repeat(65) },
      { environment: 'live', expires_on: '2020-01-01' },
      { environment: 'live', expires_on: 'tomorrow' },
    ] as Record<string, string>[]) {
      const refused = await operator.form(`/admin/accounts/${account.id}/keys`, fields);
      expect(refused.status, JSON.stringify(fields)).toBe(400);
    }
    expect(await listKeys(server, account.id)).toEqual([]);
  });

  it('a key is changed only through its own account’s page', async () => {
    const mine = await createAccount(server, { verified: true });
    const theirs = await createAccount(server, { verified: true });
    const key = await mintKey(server, theirs.id, { environment: 'live' });
    for (const [path, fields] of [
      [`/admin/accounts/${mine.id}/keys/${key.key_id}/status`, { status: 'revoked' }],
      [`/admin/accounts/${mine.id}/keys/${key.key_id}/delete`, {}],
    ] as const) {
      const refused = await operator.form(path, fields);
      expect(refused.status).toBe(404);
      expect(refused.text).toContain('Key not found.');
    }
    expect((await listKeys(server, theirs.id))[0]?.status).toBe('active');
  });

  it('ends the owner’s dashboard sessions', async () => {
    const account = await createAccount(server, { verified: true });
    const owner = await signIn(server, account.email);
    const ended = await operator.form(`/admin/accounts/${account.id}/sign-out`);
    expect(ended.headers.get('location')).toBe(`/admin/accounts/${account.id}?done=signed_out`);
    expect((await owner.request('GET', '/dashboard/api/keys')).status).toBe(401);
    expect(await adminWith(operator.cookie)).toBe(200);
  });
});

describe('outbox', () => {
  it('shows each mail with its links as text to copy (not to follow), never cached, no referrer', async () => {
    const operator = await operatorSignIn(server);
    const account = await createAccount(server, { verified: true });
    await postForm(server, '/sign-in', { email: account.email });
    const [mail] = await outbox(server, account.email);
    const link = mail?.links[0]?.url as string;
    expect(link).toMatch(/\/sign-in\/continue\?token=lbsign_/);
    const page = await operator.page(`/admin/outbox?to=${encodeURIComponent(account.email)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text).toContain('Sign in to Lightbox');
    expect(page.text).toContain(`readonly value="${link}"`);
    expect(page.text).not.toContain(`href="${link}"`);
    expect(page.text).toContain('<label for="field-');
    // Another address's mail is not on it.
    const other = await createAccount(server, { verified: true });
    await postForm(server, '/sign-in', { email: other.email });
    expect((await operator.page(`/admin/outbox?to=${encodeURIComponent(account.email)}`)).text).not.toContain(
      other.email,
    );
    expect((await operator.page('/admin/outbox')).text).toContain(other.email);
  });
});

describe('webhook deliveries', () => {
  it('lists every attempt of an event and redelivers it; the receiver gets the same event again', async () => {
    const operator = await operatorSignIn(server);
    const { enhancementId, eventId } = await failedEvent();
    const filter = `/admin/webhooks?enhancement_id=${enhancementId}`;
    const page = await operator.page(filter);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<code>${eventId}</code>`);
    expect(page.text).toContain('<span class="status status-revoked">failed</span>');
    expect(page.text).toContain('2 attempts');
    expect(
      (page.text.match(/<td data-label="Outcome">http_error<\/td><td data-label="HTTP">500<\/td>/g) ?? [])
        .length,
    ).toBeGreaterThanOrEqual(2);
    const before = receiver.received.filter((r) => r.headers['webhook-id'] === eventId).length;

    receiver.respond = () => 200;
    try {
      const redelivered = await operator.form(`/admin/webhooks/${eventId}/redeliver`, {
        enhancement_id: enhancementId,
      });
      expect(redelivered.status).toBe(303);
      expect(redelivered.headers.get('location')).toBe(`${filter}&done=redelivered#event-${eventId}`);
      const row = await eventually(
        () =>
          server.services.store.db
            .selectFrom('webhook_events')
            .select('status')
            .where('id', '=', eventId)
            .executeTakeFirst(),
        (r) => r?.status === 'delivered',
        20_000,
      );
      expect(row?.status).toBe('delivered');
    } finally {
      receiver.respond = () => 500;
    }
    expect(receiver.received.filter((r) => r.headers['webhook-id'] === eventId)).toHaveLength(before + 1);
    const after = await operator.page(filter);
    expect(after.text).toContain('<span class="status status-active">delivered</span>');
    expect(after.text).toContain('3 attempts');
    const byStatus = await operator.page(`/admin/webhooks?status=failed&enhancement_id=${enhancementId}`);
    expect(byStatus.text).not.toContain(`id="event-${eventId}"`);

    const unknown = await operator.form('/admin/webhooks/evt_nobody/redeliver');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('Webhook event not found.');
  });
});

describe('system status', () => {
  it('shows each port ready, the queue per job name, and the recent failures', async () => {
    const operator = await operatorSignIn(server);
    const { account, eventId } = await failedEvent();
    const dead = server.services.config.queue.kind === 'sql';
    if (dead) {
      const now = Date.now();
      await server.services.store.db
        .insertInto('jobs')
        .values({
          id: crypto.randomUUID(),
          name: 'webhook.deliver',
          payload: '{}',
          status: 'dead',
          dedupe_key: null,
          attempts: 5,
          max_attempts: 5,
          run_at: now,
          lease_until: null,
          lease_token: null,
          last_error: 'TypeError: the receiver went away',
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    const page = await operator.page('/admin');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Ready: every port answers.');
    for (const port of ['store', 'blobs', 'queue']) {
      expect(page.text).toContain(
        `<tr><th scope="row">${port}</th><td><span class="status status-active">ok</span>`,
      );
    }
    for (const stats of await server.services.queue.stats())
      expect(page.text).toContain(`<code>${stats.name}</code>`);
    // The failed sandbox item, with the seed's guidance, and the webhook event out of retries.
    expect(page.text).toContain('<code>provider_error</code>');
    expect(page.text).toContain(`href="/admin/accounts/${account.id}"`);
    expect(page.text).toContain(`<code>${eventId}</code>`);
    if (dead) expect(page.text).toContain('TypeError: the receiver went away');
  });

  it('says which port fails, as /readyz does', async () => {
    const broken = await startTestServer();
    try {
      const { blobs } = broken.services.config;
      if (blobs.kind !== 'fs') return;
      const operator = await operatorSignIn(broken);
      const { rename } = await import('node:fs/promises');
      await rename(blobs.dir, `${blobs.dir}.away`);
      try {
        const page = await operator.page('/admin');
        expect(page.text).toContain('Not ready: a port does not answer.');
        expect(page.text).toMatch(
          /<tr><th scope="row">blobs<\/th><td><span class="status status-revoked">failing<\/span><\/td><td><code class="wrap-anywhere">Error: ENOENT/,
        );
        expect((await broken.request('GET', '/readyz')).status).toBe(503);
      } finally {
        await rename(`${blobs.dir}.away`, blobs.dir);
      }
      expect((await operator.page('/admin')).text).toContain('Ready: every port answers.');
    } finally {
      await broken.close();
    }
  });
});
