// Sandbox (test keys, docs/api.md §3.4): no credits, no eligibility, no email verification; sources downloaded and
// validated as in live, results from the built-in pipeline, and `#simulate=<code>` to fail an item on purpose.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchOf,
  clutteredPhoto,
  createBatch,
  credits,
  enhancementAccount,
  enhancementSuite,
  expectEnhancementError,
  HOSTS,
  ITEM_ERROR_CODES,
  imageInfo,
  LOOPBACK_SOURCES,
  ledgerOf,
  loadSrc,
  movements,
  newIdempotencyKey,
  postEnhancement,
  productPhoto,
  readEnhancement,
  type SourceServer,
  startSourceServer,
  useStubDns,
  waitForEnhancement,
} from './support/enhancement-fixtures.ts';
import { mintKey, patchAccount } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const books = enhancementSuite();
let server: TestServer;
let sources: SourceServer;

beforeAll(async () => {
  sources = await startSourceServer();
  const photo = await productPhoto('jpeg');
  for (const path of ['/first.jpg', '/simulated.jpg', '/plain.jpg', '/unknown-code.jpg', '/live.jpg']) {
    sources.serve(path, photo, 'image/jpeg');
  }
  sources.serve('/notes.txt', 'not an image', 'text/plain');
  sources.serve('/cluttered.png', await clutteredPhoto(), 'image/png');
  server = await startTestServer(LOOPBACK_SOURCES);
  useStubDns(server);
});

afterAll(async () => {
  await server?.close();
  await sources?.close();
});

const src = (path: string) => `${sources.url}${path}`;

describe('test keys', () => {
  it('work on an unverified account without credits: nothing reserved or used, no ledger entries, a real result', async () => {
    const { accountId, key } = await enhancementAccount(server, books, {
      environment: 'test',
      verified: false,
    });
    const response = await postEnhancement(server, key, batchOf([src('/first.jpg')]));
    expect(response.status, response.text).toBe(201);
    const id = response.body.enhancement.id;
    expect(response.body).toEqual({
      enhancement: { id, status: 'queued', total_items: 1, credits_reserved: 0, sandbox: true },
      remaining_paid_credits: 0,
      request_id: response.headers.get('x-request-id'),
    });

    const done = await waitForEnhancement(server, key, id);
    expect(done).toMatchObject({
      status: 'completed',
      sandbox: true,
      credits_reserved: 0,
      credits_used: 0,
      completed_items: 1,
    });
    expect(done.items[0]).toMatchObject({ status: 'completed', credits_reserved: 0, credits_used: 0 });
    expect(await imageInfo(await loadSrc(done.items[0]?.result_url ?? ''))).toEqual({
      format: 'jpeg',
      width: 1000,
      height: 1000,
    });
    expect(await imageInfo(await loadSrc(done.items[0]?.thumbnail_url ?? ''))).toEqual({
      format: 'jpeg',
      width: 400,
      height: 400,
    });
    // The source was really downloaded.
    expect(sources.hits).toContain('/first.jpg');
    expect(await ledgerOf(server, accountId)).toEqual([]);
    expect(await credits(server, accountId)).toEqual({
      paid_available: 0,
      paid_reserved: 0,
      lifetime_purchased: 0,
      promotional: 0,
    });
  });

  it('never touch paid credits: remaining_paid_credits is 0 even when the account has some', async () => {
    const { accountId } = await enhancementAccount(server, books, { purchased: 500 });
    const { key: testKey } = await mintKey(server, accountId, { environment: 'test' });
    const created = await createBatch(server, testKey, batchOf([src('/plain.jpg'), src('/plain.jpg')]));
    expect(created.enhancement).toMatchObject({ credits_reserved: 0, sandbox: true });
    expect(created.remaining_paid_credits).toBe(0);
    await waitForEnhancement(server, testKey, created.enhancement.id);
    expect(await movements(server, accountId)).toEqual([]);
    expect(await credits(server, accountId)).toMatchObject({ paid_available: 500, paid_reserved: 0 });
  });

  it('#simulate=<code> fails the item with that code; other items are processed normally', async () => {
    const { accountId, key } = await enhancementAccount(server, books, {
      environment: 'test',
      verified: false,
    });
    const urls = [
      ...ITEM_ERROR_CODES.map((code) => `${src('/simulated.jpg')}#simulate=${code}`),
      src('/plain.jpg'),
      // Not an item error code: ignored, the image is processed.
      `${src('/unknown-code.jpg')}#simulate=not_a_code`,
    ];
    const created = await createBatch(server, key, batchOf(urls));
    const done = await waitForEnhancement(server, key, created.enhancement.id);
    expect(done.items.map((item) => item.error_code)).toEqual([...ITEM_ERROR_CODES, null, null]);
    expect(done.items.map((item) => item.source_url)).toEqual(urls);
    for (const item of done.items.slice(0, ITEM_ERROR_CODES.length)) {
      expect(item).toMatchObject({ status: 'failed', result_url: null, credits_used: 0 });
      expect(item.error_message?.length).toBeGreaterThan(0);
    }
    for (const item of done.items.slice(ITEM_ERROR_CODES.length)) {
      expect(item.status).toBe('completed');
      expect(await imageInfo(await loadSrc(item.result_url ?? ''))).toMatchObject({ format: 'jpeg' });
    }
    expect(done).toMatchObject({
      status: 'partially_completed',
      completed_items: 2,
      failed_items: ITEM_ERROR_CODES.length,
      credits_used: 0,
    });
    expect(sources.hits).toContain('/unknown-code.jpg');
    expect(await ledgerOf(server, accountId)).toEqual([]);
  });

  it('sources are downloaded and validated as in live', async () => {
    const { key } = await enhancementAccount(server, books, { environment: 'test', verified: false });
    const cases: [string, string][] = [
      [src('/sandbox-missing.jpg'), 'source_url_unreachable'],
      ['http://192.168.0.10/product.jpg', 'invalid_source_url'],
      [`http://${HOSTS.missing}/product.jpg`, 'source_url_dns_failed'],
      [src('/redirect/4/plain.jpg'), 'source_url_redirect_limit'],
      [src('/notes.txt'), 'unsupported_file_type'],
      [src('/cluttered.png'), 'provider_error'],
    ];
    const created = await createBatch(server, key, batchOf(cases.map(([url]) => url)));
    const done = await waitForEnhancement(server, key, created.enhancement.id);
    expect(done.items.map((item) => item.error_code)).toEqual(cases.map(([, code]) => code));
    expect(done).toMatchObject({ status: 'failed', failed_items: cases.length, credits_used: 0 });
    expect(sources.hits).toContain('/sandbox-missing.jpg');
  });

  it('are still subject to the account state and to idempotency', async () => {
    const suspended = await enhancementAccount(server, books, { environment: 'test' });
    await patchAccount(server, suspended.accountId, { suspended: true });
    expectEnhancementError(
      await postEnhancement(server, suspended.key, batchOf([src('/plain.jpg')])),
      403,
      'account_suspended',
    );
    const risky = await enhancementAccount(server, books, { environment: 'test' });
    await patchAccount(server, risky.accountId, { payment_risk: true });
    expectEnhancementError(
      await postEnhancement(server, risky.key, batchOf([src('/plain.jpg')])),
      403,
      'payment_risk_restricted',
    );

    const { key } = await enhancementAccount(server, books, { environment: 'test', verified: false });
    const idempotencyKey = newIdempotencyKey();
    const body = batchOf([`${src('/plain.jpg')}#simulate=provider_error`]);
    const first = await postEnhancement(server, key, body, { idempotencyKey });
    expect(first.status, first.text).toBe(201);
    const replay = await postEnhancement(server, key, body, { idempotencyKey });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(first.text);
    await waitForEnhancement(server, key, first.body.enhancement.id);
  });
});

describe('live keys', () => {
  it('ignore #simulate: the item is processed and charged', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    const url = `${src('/live.jpg')}#simulate=provider_error`;
    const created = await createBatch(server, key, batchOf([url]));
    expect(created.enhancement).toMatchObject({ sandbox: false, credits_reserved: 5 });
    const done = await waitForEnhancement(server, key, created.enhancement.id);
    expect(done).toMatchObject({ status: 'completed', sandbox: false, credits_used: 5 });
    expect(done.items[0]).toMatchObject({ source_url: url, error_code: null, credits_used: 5 });
    expect(sources.hits).toContain('/live.jpg');
    expect(await movements(server, accountId)).toEqual(['reserve:-5', 'consume:-5']);
    expect((await readEnhancement(server, key, created.enhancement.id)).items[0]?.result_url).toMatch(
      /\.jpg$/,
    );
  });
});
