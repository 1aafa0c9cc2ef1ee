import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../src/credits/ledger.ts';
import {
  type AccountView,
  createAccount,
  getAccount,
  grantCredits,
  type KeyView,
  type LedgerEntryView,
  listKeys,
  mintKey,
  outbox,
  uniqueEmail,
} from './support/fixtures.ts';
import { startTestServer, type TestResponse, type TestServer } from './support/test-server.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ LIGHTBOX_KEYS_PER_IP_PER_HOUR: '100000' });
});
afterAll(async () => {
  await server?.close();
});

function expectNestedError(response: TestResponse, status: number, code: string): void {
  expect(response.status, response.text).toBe(status);
  expect(Object.keys(response.body)).toEqual(['error']);
  expect(Object.keys(response.body.error).sort()).toEqual(['code', 'message', 'request_id']);
  expect(response.body.error.code).toBe(code);
  expect(response.body.error.request_id).toBe(response.headers.get('x-request-id'));
}

const countAccounts = async () =>
  ((await server.admin('GET', '/admin/v1/accounts?limit=1000')).body.data as unknown[]).length;

describe('operator auth', () => {
  const routes: [string, string, unknown?][] = [
    ['POST', '/admin/v1/accounts', { email: 'auth-probe@example.test' }],
    ['GET', '/admin/v1/accounts'],
    ['GET', '/admin/v1/accounts/acc_x'],
    ['PATCH', '/admin/v1/accounts/acc_x', { suspended: true }],
    ['POST', '/admin/v1/accounts/acc_x/credits', { amount: 10, kind: 'purchased' }],
    ['GET', '/admin/v1/accounts/acc_x/ledger'],
    ['POST', '/admin/v1/accounts/acc_x/keys', { environment: 'live' }],
    ['GET', '/admin/v1/keys'],
    ['PATCH', '/admin/v1/keys/key_x', { status: 'revoked' }],
    ['DELETE', '/admin/v1/keys/key_x'],
    ['GET', '/admin/v1/outbox'],
  ];

  it.each(routes)(
    '%s %s: no token → 401 missing_api_key, wrong token → 401 invalid_api_key',
    async (method, route, body) => {
      const json = body === undefined ? {} : { json: body };
      expectNestedError(await server.request(method, route, json), 401, 'missing_api_key');
      expectNestedError(
        await server.request(method, route, { ...json, key: `${server.adminToken}x` }),
        401,
        'invalid_api_key',
      );
      expectNestedError(
        await server.request(method, route, {
          ...json,
          headers: { authorization: `Basic ${server.adminToken}` },
        }),
        401,
        'invalid_api_key',
      );
    },
  );

  it('an API key is not an admin token', async () => {
    const account = await createAccount(server, { verified: true });
    const key = await mintKey(server, account.id);
    expectNestedError(
      await server.request('GET', '/admin/v1/accounts', { key: key.key }),
      401,
      'invalid_api_key',
    );
  });

  it('auth comes before validation, and a refused call changes nothing', async () => {
    const before = await countAccounts();
    expectNestedError(
      await server.request('POST', '/admin/v1/accounts', { json: { nope: 1 } }),
      401,
      'missing_api_key',
    );
    expectNestedError(
      await server.request('POST', '/admin/v1/accounts', {
        json: { email: uniqueEmail() },
        key: 'wrong-token',
      }),
      401,
      'invalid_api_key',
    );
    expect(await countAccounts()).toBe(before);
  });

  it('the admin token is accepted (control)', async () => {
    expect((await server.request('GET', '/admin/v1/accounts', { key: server.adminToken })).status).toBe(200);
  });
});

describe('accounts', () => {
  it('POST creates an account with the documented shape', async () => {
    const email = uniqueEmail();
    const response = await server.admin('POST', '/admin/v1/accounts', { email });
    expect(response.status, response.text).toBe(201);
    const account = response.body as AccountView;
    expect(account).toEqual({
      id: expect.stringMatching(/^acc_[0-9a-z]+$/),
      email,
      email_verified: false,
      plan: 'free',
      registration_policy: 'approval',
      suspended: false,
      payment_risk: false,
      credits: { paid_available: 0, paid_reserved: 0, lifetime_purchased: 0, promotional: 0 },
      created_at: expect.stringMatching(ISO),
    });
    expect(await getAccount(server, account.id)).toEqual(account);
  });

  it('POST with plan and email_verified', async () => {
    const account = await createAccount(server, { plan: 'pro', verified: true });
    expect(account).toMatchObject({ plan: 'pro', email_verified: true });
  });

  it('POST stores the email lowercased; a duplicate (any case) → 409 conflict', async () => {
    const email = uniqueEmail();
    const first = await server.admin('POST', '/admin/v1/accounts', { email: email.toUpperCase() });
    expect(first.status).toBe(201);
    expect(first.body.email).toBe(email);
    expectNestedError(await server.admin('POST', '/admin/v1/accounts', { email }), 409, 'conflict');
    expect((await server.admin('GET', `/admin/v1/accounts?email=${email}`)).body.data).toHaveLength(1);
  });

  it.each([
    ['missing email', {}],
    ['invalid email', { email: 'not-an-email' }],
    ['email of the wrong type', { email: 42 }],
    ['unknown field', { email: 'x@example.test', admin: true }],
    ['email_verified not a boolean', { email: 'x@example.test', email_verified: 'yes' }],
    ['unknown plan', { email: 'x@example.test', plan: 'platinum' }],
  ])('POST with %s → 400 invalid_payload, nothing created', async (_name, body) => {
    const before = await countAccounts();
    expectNestedError(await server.admin('POST', '/admin/v1/accounts', body), 400, 'invalid_payload');
    expect(await countAccounts()).toBe(before);
  });

  it('GET ?email= finds one account (case-insensitively); GET without a filter lists newest first', async () => {
    const a = await createAccount(server);
    const b = await createAccount(server);
    const found = await server.admin(
      'GET',
      `/admin/v1/accounts?email=${encodeURIComponent(a.email.toUpperCase())}`,
    );
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ data: [a] });
    const none = await server.admin('GET', `/admin/v1/accounts?email=${uniqueEmail()}`);
    expect(none.body).toEqual({ data: [] });
    const all = await server.admin('GET', '/admin/v1/accounts?limit=2');
    expect(all.body.data.map((x: AccountView) => x.id)).toEqual([b.id, a.id]);
  });

  it('GET with a bad limit → 400 invalid_payload', async () => {
    expectNestedError(await server.admin('GET', '/admin/v1/accounts?limit=0'), 400, 'invalid_payload');
    expectNestedError(await server.admin('GET', '/admin/v1/accounts?limit=abc'), 400, 'invalid_payload');
  });

  it('GET /{id} of an unknown account → 404 not_found', async () => {
    expectNestedError(await server.admin('GET', '/admin/v1/accounts/acc_unknown'), 404, 'not_found');
  });

  it('PATCH changes each field and returns the account', async () => {
    const account = await createAccount(server);
    const response = await server.admin('PATCH', `/admin/v1/accounts/${account.id}`, {
      plan: 'pro',
      suspended: true,
      payment_risk: true,
      email_verified: true,
      registration_policy: 'closed',
    });
    expect(response.status, response.text).toBe(200);
    const expected = {
      ...account,
      plan: 'pro',
      suspended: true,
      payment_risk: true,
      email_verified: true,
      registration_policy: 'closed',
    };
    expect(response.body).toEqual(expected);
    expect(await getAccount(server, account.id)).toEqual(expected);

    const back = await server.admin('PATCH', `/admin/v1/accounts/${account.id}`, {
      suspended: false,
      payment_risk: false,
      email_verified: false,
      registration_policy: 'open',
    });
    expect(back.body).toMatchObject({
      plan: 'pro',
      suspended: false,
      payment_risk: false,
      email_verified: false,
      registration_policy: 'open',
    });
  });

  it('PATCH with an empty body changes nothing', async () => {
    const account = await createAccount(server);
    const response = await server.admin('PATCH', `/admin/v1/accounts/${account.id}`, {});
    expect(response.status).toBe(200);
    expect(response.body).toEqual(account);
  });

  it.each([
    ['bad policy', { registration_policy: 'whatever' }],
    ['suspended not a boolean', { suspended: 'true' }],
    ['unknown plan', { plan: 'platinum' }],
    ['unknown field', { credits: 1000 }],
  ])('PATCH with %s → 400 invalid_payload, nothing changed', async (_name, body) => {
    const account = await createAccount(server);
    expectNestedError(
      await server.admin('PATCH', `/admin/v1/accounts/${account.id}`, body),
      400,
      'invalid_payload',
    );
    expect(await getAccount(server, account.id)).toEqual(account);
  });

  it('PATCH of an unknown account → 404 not_found', async () => {
    expectNestedError(
      await server.admin('PATCH', '/admin/v1/accounts/acc_unknown', { suspended: true }),
      404,
      'not_found',
    );
  });
});

describe('credits and ledger', () => {
  it('grants move the right balances; the ledger lists every entry and the books balance', async () => {
    const account = await createAccount(server);
    const first = await grantCredits(server, account.id, 250, 'purchased', 'invoice 1');
    expect(first.entry).toEqual({
      id: expect.stringMatching(/^led_/),
      type: 'grant',
      kind: 'purchased',
      amount: 250,
      balance_after: 250,
      enhancement_id: null,
      note: 'invoice 1',
      created_at: expect.stringMatching(ISO),
    });
    expect(first.account.credits).toEqual({
      paid_available: 250,
      paid_reserved: 0,
      lifetime_purchased: 250,
      promotional: 0,
    });

    const promo = await grantCredits(server, account.id, 40, 'promotional');
    expect(promo.entry).toMatchObject({ type: 'grant', kind: 'promotional', amount: 40, balance_after: 40 });
    expect(promo.account.credits).toEqual({
      paid_available: 250,
      paid_reserved: 0,
      lifetime_purchased: 250,
      promotional: 40,
    });

    const second = await grantCredits(server, account.id, 5, 'purchased');
    expect(second.entry.balance_after).toBe(255);
    expect(second.entry.note).toBeNull();

    const ledger = await server.admin('GET', `/admin/v1/accounts/${account.id}/ledger`);
    expect(ledger.status).toBe(200);
    const entries = ledger.body.data as LedgerEntryView[];
    expect(entries.map((e) => e.id)).toEqual([second.entry.id, promo.entry.id, first.entry.id]);

    const stored = await getAccount(server, account.id);
    const sum = (kind: string) => entries.filter((e) => e.kind === kind).reduce((s, e) => s + e.amount, 0);
    expect(stored.credits.paid_available).toBe(sum('purchased'));
    expect(stored.credits.lifetime_purchased).toBe(sum('purchased'));
    expect(stored.credits.promotional).toBe(sum('promotional'));
    expect(await ledgerViolations(server.services.store.db, account.id)).toEqual([]);
  });

  it('concurrent grants all land: balance equals the sum of entries', async () => {
    const account = await createAccount(server);
    const amounts = [1, 2, 3, 5, 8, 13, 21, 34];
    await Promise.all(amounts.map((amount) => grantCredits(server, account.id, amount)));
    const stored = await getAccount(server, account.id);
    expect(stored.credits.paid_available).toBe(87);
    expect(stored.credits.lifetime_purchased).toBe(87);
    const entries = (await server.admin('GET', `/admin/v1/accounts/${account.id}/ledger`)).body.data;
    expect(entries).toHaveLength(amounts.length);
    expect(await ledgerViolations(server.services.store.db, account.id)).toEqual([]);
  });

  it('ledger paging: limit and before', async () => {
    const account = await createAccount(server);
    for (const amount of [10, 20, 30]) await grantCredits(server, account.id, amount);
    const page1 = await server.admin('GET', `/admin/v1/accounts/${account.id}/ledger?limit=2`);
    expect(page1.body.data.map((e: LedgerEntryView) => e.amount)).toEqual([30, 20]);
    const last = page1.body.data[1].id;
    const page2 = await server.admin('GET', `/admin/v1/accounts/${account.id}/ledger?limit=2&before=${last}`);
    expect(page2.body.data.map((e: LedgerEntryView) => e.amount)).toEqual([10]);
  });

  it.each([
    ['amount 0', { amount: 0, kind: 'purchased' }],
    ['negative amount', { amount: -50, kind: 'purchased' }],
    ['fractional amount', { amount: 1.5, kind: 'purchased' }],
    ['amount as a string', { amount: '10', kind: 'purchased' }],
    ['unknown kind', { amount: 10, kind: 'gift' }],
    ['missing kind', { amount: 10 }],
    ['unknown field', { amount: 10, kind: 'purchased', balance: 1 }],
  ])('a grant with %s → 400 invalid_payload and no entry', async (_name, body) => {
    const account = await createAccount(server);
    await grantCredits(server, account.id, 7);
    expectNestedError(
      await server.admin('POST', `/admin/v1/accounts/${account.id}/credits`, body),
      400,
      'invalid_payload',
    );
    expect((await getAccount(server, account.id)).credits.paid_available).toBe(7);
    expect((await server.admin('GET', `/admin/v1/accounts/${account.id}/ledger`)).body.data).toHaveLength(1);
    expect(await ledgerViolations(server.services.store.db, account.id)).toEqual([]);
  });

  it('a grant or ledger read for an unknown account → 404 not_found', async () => {
    expectNestedError(
      await server.admin('POST', '/admin/v1/accounts/acc_unknown/credits', { amount: 10, kind: 'purchased' }),
      404,
      'not_found',
    );
    expectNestedError(await server.admin('GET', '/admin/v1/accounts/acc_unknown/ledger'), 404, 'not_found');
  });
});

describe('keys', () => {
  it('mint returns the key once; list shows it without the secret', async () => {
    const account = await createAccount(server, { verified: true });
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const response = await server.admin('POST', `/admin/v1/accounts/${account.id}/keys`, {
      environment: 'test',
      name: 'Staging',
      expires_at: expiresAt,
    });
    expect(response.status, response.text).toBe(201);
    expect(response.body).toEqual({
      key: expect.stringMatching(/^img_test_[0-9A-Za-z]{36}$/),
      key_id: expect.stringMatching(/^key_[0-9a-z]+$/),
      environment: 'test',
      status: 'active',
      expires_at: expiresAt,
    });
    const listed = await listKeys(server, account.id);
    expect(listed).toEqual([
      {
        key_id: response.body.key_id,
        account_id: account.id,
        name: 'Staging',
        hint: expect.stringMatching(/^img_test_.{4}…$/),
        environment: 'test',
        status: 'active',
        expires_at: expiresAt,
        last_used_at: null,
        created_at: expect.stringMatching(ISO),
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(response.body.key);
    expect((await server.request('GET', '/v1/usage', { key: response.body.key })).status).toBe(200);
  });

  it('mint defaults: name "Default", no expiry, live', async () => {
    const account = await createAccount(server);
    const key = await mintKey(server, account.id);
    expect(key).toMatchObject({ environment: 'live', status: 'active', expires_at: null });
    expect((await listKeys(server, account.id))[0]?.name).toBe('Default');
  });

  it.each([
    ['missing environment', {}],
    ['bad environment', { environment: 'prod' }],
    ['bad expires_at', { environment: 'live', expires_at: 'tomorrow' }],
    ['empty name', { environment: 'live', name: '' }],
    ['name too long', { environment: 'live', name: 'x'.repeat(65) }],
    ['unknown field', { environment: 'live', status: 'active' }],
  ])('mint with %s → 400 invalid_payload, no key', async (_name, body) => {
    const account = await createAccount(server);
    expectNestedError(
      await server.admin('POST', `/admin/v1/accounts/${account.id}/keys`, body),
      400,
      'invalid_payload',
    );
    expect(await listKeys(server, account.id)).toEqual([]);
  });

  it('mint for an unknown account → 404 not_found', async () => {
    expectNestedError(
      await server.admin('POST', '/admin/v1/accounts/acc_unknown/keys', { environment: 'live' }),
      404,
      'not_found',
    );
  });

  it('list filters by account, newest first', async () => {
    const account = await createAccount(server);
    const other = await createAccount(server);
    const k1 = await mintKey(server, account.id);
    const k2 = await mintKey(server, account.id, { environment: 'test' });
    await mintKey(server, other.id);
    const listed = await listKeys(server, account.id);
    expect(listed.map((k) => k.key_id)).toEqual([k2.key_id, k1.key_id]);
    const all = (await server.admin('GET', '/admin/v1/keys')).body.data as KeyView[];
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(await listKeys(server, 'acc_unknown')).toEqual([]);
  });

  it('PATCH status inactive → active → revoked; a revoked key cannot be reactivated', async () => {
    const account = await createAccount(server, { verified: true });
    const key = await mintKey(server, account.id);
    const patch = (body: unknown) => server.admin('PATCH', `/admin/v1/keys/${key.key_id}`, body);

    const inactive = await patch({ status: 'inactive' });
    expect(inactive.status).toBe(200);
    expect(inactive.body).toMatchObject({ key_id: key.key_id, status: 'inactive' });
    expect((await server.request('GET', '/v1/usage', { key: key.key })).status).toBe(401);

    expect((await patch({ status: 'active' })).body.status).toBe('active');
    expect((await server.request('GET', '/v1/usage', { key: key.key })).status).toBe(200);

    expect((await patch({ status: 'revoked' })).body.status).toBe('revoked');
    expectNestedError(await patch({ status: 'active' }), 400, 'invalid_payload');
    expect((await listKeys(server, account.id))[0]?.status).toBe('revoked');
  });

  it('PATCH expires_at sets and clears the expiry', async () => {
    const account = await createAccount(server, { verified: true });
    const key = await mintKey(server, account.id);
    const past = new Date(Date.now() - 1000).toISOString();
    const set = await server.admin('PATCH', `/admin/v1/keys/${key.key_id}`, { expires_at: past });
    expect(set.body.expires_at).toBe(past);
    expect((await server.request('GET', '/v1/usage', { key: key.key })).body.message).toBe('API key expired');
    const cleared = await server.admin('PATCH', `/admin/v1/keys/${key.key_id}`, { expires_at: null });
    expect(cleared.body.expires_at).toBeNull();
    expect((await server.request('GET', '/v1/usage', { key: key.key })).status).toBe(200);
  });

  it.each([
    ['pending_approval is not settable', { status: 'pending_approval' }],
    ['bad expires_at', { expires_at: 'never' }],
    ['unknown field', { name: 'x' }],
  ])('PATCH with %s → 400 invalid_payload', async (_name, body) => {
    const account = await createAccount(server);
    const key = await mintKey(server, account.id);
    expectNestedError(
      await server.admin('PATCH', `/admin/v1/keys/${key.key_id}`, body),
      400,
      'invalid_payload',
    );
    expect((await listKeys(server, account.id))[0]).toMatchObject({ status: 'active', expires_at: null });
  });

  it('PATCH of an unknown key → 404 not_found', async () => {
    expectNestedError(
      await server.admin('PATCH', '/admin/v1/keys/key_unknown', { status: 'inactive' }),
      404,
      'not_found',
    );
  });

  it('DELETE removes the key; deleting again → 404', async () => {
    const account = await createAccount(server, { verified: true });
    const key = await mintKey(server, account.id);
    const deleted = await server.admin('DELETE', `/admin/v1/keys/${key.key_id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ key_id: key.key_id, deleted: true });
    expect(await listKeys(server, account.id)).toEqual([]);
    expect((await server.request('GET', '/v1/usage', { key: key.key })).status).toBe(401);
    expectNestedError(await server.admin('DELETE', `/admin/v1/keys/${key.key_id}`), 404, 'not_found');
  });
});

describe('outbox', () => {
  it('lists the mails to an address with their links, newest first', async () => {
    const email = uniqueEmail();
    expect((await server.request('POST', '/v1/keys', { json: { email } })).status).toBe(201);
    const mails = await outbox(server, email);
    expect(mails).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        to: email,
        subject: expect.any(String),
        text: expect.stringContaining('/verify?'),
        links: [{ rel: 'verify', url: expect.stringMatching(/\/verify\?t=.+&exp=\d+&sig=.+$/) }],
        created_at: expect.stringMatching(ISO),
        sent_at: null,
      },
    ]);
    // Case-insensitive filter, and unknown addresses have no mail.
    expect(await outbox(server, email.toUpperCase())).toHaveLength(1);
    expect(await outbox(server, uniqueEmail())).toEqual([]);
    const all = await outbox(server);
    expect(all.some((m) => m.to === email)).toBe(true);
    expectNestedError(await server.admin('GET', '/admin/v1/outbox?limit=0'), 400, 'invalid_payload');
  });
});

describe('unknown admin routes', () => {
  it('→ 404 not_found in the nested envelope', async () => {
    expectNestedError(await server.admin('GET', '/admin/v1/nothing-here'), 404, 'not_found');
  });
});

// Each call starts a Node process (~1 s); the cases are independent, so they run side by side.
describe.concurrent('CLI: lightbox admin', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-cli-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Runs the CLI as an operator would; asynchronous so the in-process server keeps answering. */
  function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env: Record<string, string | undefined> = { ...process.env, LIGHTBOX_DATA_DIR: dataDir };
    for (const name of Object.keys(env)) {
      if (name.startsWith('LIGHTBOX_') && name !== 'LIGHTBOX_DATA_DIR') delete env[name];
    }
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [path.join(REPO_ROOT, 'bin/lightbox.js'), 'admin', ...args],
        { cwd: REPO_ROOT, env, timeout: 20_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }
  const global = () => ['--url', server.url, '--token', server.adminToken];

  it('accounts list prints the JSON list and exits 0', async () => {
    const account = await createAccount(server);
    const result = await cli('accounts', 'list', '--email', account.email, ...global());
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ data: [account] });
  });

  it('accounts create --verified, then credits grant and credits ledger', async () => {
    const email = uniqueEmail();
    const created = await cli('accounts', 'create', '--email', email, '--verified', ...global());
    expect(created.code, created.stderr).toBe(0);
    const account = JSON.parse(created.stdout) as AccountView;
    expect(account).toMatchObject({ email, email_verified: true });

    const granted = await cli(
      'credits',
      'grant',
      account.id,
      '--amount',
      '300',
      '--kind',
      'purchased',
      '--note',
      'from the CLI',
      ...global(),
    );
    expect(granted.code, granted.stderr).toBe(0);
    const body = JSON.parse(granted.stdout);
    expect(body.entry).toMatchObject({ type: 'grant', kind: 'purchased', amount: 300, note: 'from the CLI' });
    expect(body.account.credits.paid_available).toBe(300);
    expect((await getAccount(server, account.id)).credits.lifetime_purchased).toBe(300);
    expect(await ledgerViolations(server.services.store.db, account.id)).toEqual([]);

    const ledger = await cli('credits', 'ledger', account.id, ...global());
    expect(ledger.code, ledger.stderr).toBe(0);
    expect(JSON.parse(ledger.stdout).data).toHaveLength(1);
  });

  it('a refused call prints the error JSON on stderr and exits 1', async () => {
    const [result, zero] = await Promise.all([
      cli('credits', 'grant', 'acc_unknown', '--amount', '5', '--kind', 'purchased', ...global()),
      cli('credits', 'grant', 'acc_unknown', '--amount', '0', '--kind', 'purchased', ...global()),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(JSON.parse(result.stderr).error.code).toBe('not_found');
    expect(zero.code).toBe(1);
    expect(JSON.parse(zero.stderr).error.code).toBe('invalid_payload');
  });

  it('a wrong token exits 1 with invalid_api_key', async () => {
    const result = await cli('accounts', 'list', '--url', server.url, '--token', 'not-the-token');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stderr).error.code).toBe('invalid_api_key');
  });

  it('usage errors exit 2 without calling the server', async () => {
    const [missing, unknown] = await Promise.all([
      cli('credits', 'grant', 'acc_x', '--kind', 'purchased', ...global()),
      cli('frobnicate', ...global()),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing --amount');
    expect(unknown.code).toBe(2);
  });

  it('an unreachable server exits 1 with a one-line message, not a stack trace', async () => {
    const result = await cli('accounts', 'list', '--url', 'http://127.0.0.1:9', '--token', 'x'.repeat(30));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:9: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
