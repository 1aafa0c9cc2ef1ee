// POST /api/v1/product-image-enhancements and the reads (docs/api.md §3.2, §3.3): every create code in the
// documented order, idempotency, credits and limits, and GET by id / list. The main server runs no worker, so
// batches stay `queued` and the active limits are easy to reach.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueUnavailableError } from '../src/queue/queue.ts';
import {
  batchOf,
  createBatch,
  credits,
  ENHANCEMENTS,
  enhancementAccount,
  enhancementSuite,
  expectEnhancementError,
  HOSTS,
  LOOPBACK_SOURCES,
  ledgerOf,
  movements,
  newIdempotencyKey,
  postEnhancement,
  productPhoto,
  readEnhancement,
  type SourceServer,
  startSourceServer,
  storedEnhancements,
  useStubDns,
  waitForEnhancement,
} from './support/enhancement-fixtures.ts';
import { grantCredits, mintKey, patchAccount } from './support/fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
/** A source URL for batches that are never processed on the main server (no worker). */
const photo = (n = 0) => `http://${HOSTS.photos}/product-${n}.jpg`;
const oneImage = () => batchOf([photo()]);

const books = enhancementSuite();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ LIGHTBOX_CONTENT_POLICY: 'forbidden-word' }, { worker: false });
  useStubDns(server);
});

afterAll(async () => {
  await server?.close();
});

/** Nothing happened for the account: no enhancement row and no ledger movement beyond its grants. */
async function expectNoEffect(accountId: string): Promise<void> {
  expect(await storedEnhancements(server, accountId)).toEqual([]);
  expect(await movements(server, accountId)).toEqual([]);
}

describe('201 Created', () => {
  it('answers the documented shape with a Location header; the batch is stored and its credits reserved', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    const body = {
      images: [
        { source_url: photo(1), external_id: 'sku-1' },
        { source_url: photo(2) },
        { source_url: photo(3), external_id: 'sku-3' },
      ],
      preset: 'marketplace_clean_catalog',
      preservation_level: 'balanced',
      instructions: 'Keep the label readable.',
    };
    const response = await postEnhancement(server, key, body);
    expect(response.status, response.text).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual([
      'enhancement',
      'remaining_paid_credits',
      'request_id',
    ]);
    const { id } = response.body.enhancement;
    expect(id).toMatch(UUID);
    expect(response.body).toEqual({
      enhancement: { id, status: 'queued', total_items: 3, credits_reserved: 15, sandbox: false },
      remaining_paid_credits: 185,
      request_id: response.headers.get('x-request-id'),
    });
    expect(response.headers.get('location')).toBe(`${ENHANCEMENTS}/${id}`);
    expect(response.headers.get('idempotent-replayed')).toBeNull();

    const location = await server.request('GET', response.headers.get('location') ?? '', { key });
    expect(location.status, location.text).toBe(200);
    expect(Object.keys(location.body).sort()).toEqual(['enhancement', 'request_id']);
    const enhancement = location.body.enhancement;
    expect(Object.keys(enhancement).sort()).toEqual(
      [
        'id',
        'status',
        'preset',
        'preservation_level',
        'total_items',
        'completed_items',
        'failed_items',
        'items_with_warnings',
        'credits_reserved',
        'credits_used',
        'sandbox',
        'created_at',
        'completed_at',
        'items',
      ].sort(),
    );
    expect(enhancement).toMatchObject({
      id,
      status: 'queued',
      preset: 'marketplace_clean_catalog',
      preservation_level: 'balanced',
      total_items: 3,
      completed_items: 0,
      failed_items: 0,
      items_with_warnings: 0,
      credits_reserved: 15,
      credits_used: 0,
      sandbox: false,
      completed_at: null,
    });
    expect(enhancement.created_at).toMatch(ISO);
    expect(Math.abs(Date.parse(enhancement.created_at) - Date.now())).toBeLessThan(60_000);
    expect(enhancement.items).toHaveLength(3);
    enhancement.items.forEach((item: Record<string, unknown>, i: number) => {
      expect(item).toEqual({
        id: expect.stringMatching(UUID),
        external_id: body.images[i]?.external_id ?? null,
        source_url: body.images[i]?.source_url,
        status: 'queued',
        result_url: null,
        thumbnail_url: null,
        error_code: null,
        error_message: null,
        credits_reserved: 5,
        credits_used: 0,
        warnings: [],
      });
    });

    expect(await credits(server, accountId)).toEqual({
      paid_available: 185,
      paid_reserved: 15,
      lifetime_purchased: 200,
      promotional: 0,
    });
    expect(await movements(server, accountId, id)).toEqual(['reserve:-15']);
  });

  it('defaults: preset single_product_white_background, preservation strict', async () => {
    const { key } = await enhancementAccount(server, books);
    const created = await createBatch(server, key, oneImage());
    const enhancement = await readEnhancement(server, key, created.enhancement.id);
    expect(enhancement.preset).toBe('single_product_white_background');
    expect(enhancement.preservation_level).toBe('strict');
  });

  it('boundaries are accepted: 20 images, 4000-character instructions, 8- and 160-character keys', async () => {
    const twenty = await enhancementAccount(server, books);
    const many = await createBatch(
      server,
      twenty.key,
      batchOf(Array.from({ length: 20 }, (_, i) => photo(i))),
    );
    expect(many.enhancement).toMatchObject({ total_items: 20, credits_reserved: 100 });
    expect(many.remaining_paid_credits).toBe(100);

    const long = await enhancementAccount(server, books);
    await createBatch(server, long.key, { ...oneImage(), instructions: 'x'.repeat(4000) });

    const short = await enhancementAccount(server, books);
    await createBatch(server, short.key, oneImage(), { idempotencyKey: 'a.b:c-_9' });
    const longest = await enhancementAccount(server, books);
    await createBatch(server, longest.key, oneImage(), { idempotencyKey: 'k'.repeat(160) });
  });
});

describe('auth and account state come first', () => {
  it('no Authorization header → 401 missing_api_key; a bad key with a bad body → 401 invalid_api_key', async () => {
    expectEnhancementError(await postEnhancement(server, undefined, oneImage()), 401, 'missing_api_key');
    expectEnhancementError(
      await postEnhancement(server, 'img_live_notarealkey', { images: [] }, { idempotencyKey: null }),
      401,
      'invalid_api_key',
    );
  });

  it('suspended → 403 account_suspended, also with a bad body and no Idempotency-Key', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    await patchAccount(server, accountId, { suspended: true });
    expectEnhancementError(await postEnhancement(server, key, oneImage()), 403, 'account_suspended');
    expectEnhancementError(
      await postEnhancement(server, key, '{"images": [', { idempotencyKey: null }),
      403,
      'account_suspended',
    );
    await expectNoEffect(accountId);
  });

  it('payment risk → 403 payment_risk_restricted', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    await patchAccount(server, accountId, { payment_risk: true });
    expectEnhancementError(await postEnhancement(server, key, oneImage()), 403, 'payment_risk_restricted');
    expectEnhancementError(
      await postEnhancement(server, key, { images: [] }),
      403,
      'payment_risk_restricted',
    );
    await expectNoEffect(accountId);
  });

  it('live key of an unverified account → 403 email_not_verified (credits or not)', async () => {
    const { accountId, key } = await enhancementAccount(server, books, { verified: false });
    expectEnhancementError(await postEnhancement(server, key, oneImage()), 403, 'email_not_verified');
    expectEnhancementError(
      await postEnhancement(server, key, { images: 'nope' }, { idempotencyKey: null }),
      403,
      'email_not_verified',
    );
    await expectNoEffect(accountId);
    // Verification lifts it.
    await patchAccount(server, accountId, { email_verified: true });
    await createBatch(server, key, oneImage());
  });
});

describe('400 invalid_payload', () => {
  const image = { source_url: photo() };
  const cases: [string, unknown][] = [
    ['malformed JSON', '{"images": [{"source_url": '],
    ['a JSON array', '[]'],
    ['an empty object', {}],
    ['an unknown top-level field', { images: [image], colour: 'red' }],
    ['an unknown image field', { images: [{ ...image, width: 800 }] }],
    ['images not an array', { images: photo() }],
    ['source_url a number', { images: [{ source_url: 42 }] }],
    ['no source_url', { images: [{ external_id: 'sku' }] }],
    ['external_id a number', { images: [{ ...image, external_id: 7 }] }],
    ['0 images', { images: [] }],
    ['21 images', { images: Array.from({ length: 21 }, () => image) }],
    ['an unknown preset', { images: [image], preset: 'studio_magic' }],
    ['preset a number', { images: [image], preset: 1 }],
    ['an unknown preservation_level', { images: [image], preservation_level: 'loose' }],
    ['instructions of 4001 characters', { images: [image], instructions: 'x'.repeat(4001) }],
    ['empty instructions', { images: [image], instructions: '' }],
    ['instructions an array', { images: [image], instructions: ['a'] }],
    ['webhook_url a number', { images: [image], webhook_url: 443 }],
  ];

  let account: Awaited<ReturnType<typeof enhancementAccount>>;
  beforeAll(async () => {
    account = await enhancementAccount(server, books);
  });

  it.each(cases)('%s', async (_name, body) => {
    const response = await postEnhancement(server, account.key, body);
    expectEnhancementError(response, 400, 'invalid_payload');
    await expectNoEffect(account.accountId);
  });

  it('a body that is not JSON at all (text/plain)', async () => {
    const response = await server.request('POST', ENHANCEMENTS, {
      key: account.key,
      body: 'images=1',
      headers: { 'content-type': 'text/plain', 'idempotency-key': newIdempotencyKey() },
    });
    expectEnhancementError(response, 400, 'invalid_payload');
    await expectNoEffect(account.accountId);
  });
});

describe('400 invalid_webhook_url', () => {
  const refused = [
    ['plain http', `http://${HOSTS.hooks}/lightbox`],
    ['a private IP literal', 'https://10.0.0.1/lightbox'],
    ['loopback in hex notation', 'https://0x7f000001/lightbox'],
    ['a host resolving to a private address', `https://${HOSTS.intranet}/lightbox`],
    ['a host with one private answer among public ones', `https://${HOSTS.mixed}/lightbox`],
    ['a host that does not resolve', `https://${HOSTS.missing}/lightbox`],
    ['a malformed URL', 'https//hooks example test'],
    ['a non-http scheme', `ftp://${HOSTS.hooks}/lightbox`],
    ['credentials in the URL', `https://user:secret@${HOSTS.hooks}/lightbox`],
  ];

  it.each(refused)('%s', async (_name, webhook_url) => {
    const { accountId, key } = await enhancementAccount(server, books);
    const response = await postEnhancement(server, key, { ...oneImage(), webhook_url });
    expectEnhancementError(response, 400, 'invalid_webhook_url');
    await expectNoEffect(accountId);
  });

  it('a public HTTPS URL is accepted (and only checked: nothing is sent at create)', async () => {
    const { key } = await enhancementAccount(server, books);
    await createBatch(server, key, { ...oneImage(), webhook_url: `https://${HOSTS.hooks}/lightbox?x=1` });
  });
});

describe('422 content_policy_violation', () => {
  it('instructions matching the operator policy are refused, case-insensitively', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    for (const instructions of ['add a forbidden-word banner', 'FORBIDDEN-WORD']) {
      const response = await postEnhancement(server, key, { ...oneImage(), instructions });
      expectEnhancementError(response, 422, 'content_policy_violation');
    }
    await expectNoEffect(accountId);
    // Not matching: fine.
    await createBatch(server, key, { ...oneImage(), instructions: 'a forbidden word, spaced' });
  });
});

describe('400 invalid_idempotency_key', () => {
  const cases: [string, string | null][] = [
    ['missing', null],
    ['empty', ''],
    ['7 characters', 'abcdefg'],
    ['161 characters', 'k'.repeat(161)],
    ['a space', 'batch 2024-001'],
    ['a slash', 'batch/2024/001'],
    ['a plus', 'batch+2024+001'],
  ];

  it.each(cases)('%s', async (_name, idempotencyKey) => {
    const { accountId, key } = await enhancementAccount(server, books);
    const response = await postEnhancement(server, key, oneImage(), { idempotencyKey });
    expectEnhancementError(response, 400, 'invalid_idempotency_key');
    await expectNoEffect(accountId);
  });
});

describe('idempotency', () => {
  it('same key + same body → 200 replay of the stored response: no new enhancement, no new reservation', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    const idempotencyKey = newIdempotencyKey();
    const body = {
      images: [
        { source_url: photo(1), external_id: 'a' },
        { source_url: photo(2), external_id: 'b' },
      ],
      preset: 'clean_catalog_group',
    };
    const first = await postEnhancement(server, key, body, { idempotencyKey });
    expect(first.status, first.text).toBe(201);

    // The same body with its keys in another order and other whitespace is the same body.
    const reordered = `{ "preset": "clean_catalog_group",
      "images": [{"external_id": "a", "source_url": "${photo(1)}"}, {"external_id":"b","source_url":"${photo(2)}"}] }`;
    for (const again of [body, reordered]) {
      const replay = await postEnhancement(server, key, again, { idempotencyKey });
      expect(replay.status, replay.text).toBe(200);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.text).toBe(first.text);
      expect(replay.headers.get('location')).toBe(first.headers.get('location'));
      // The request itself still has its own id.
      expect(replay.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    }
    expect(await storedEnhancements(server, accountId)).toHaveLength(1);
    expect(await movements(server, accountId)).toEqual(['reserve:-10']);
    expect((await credits(server, accountId)).paid_available).toBe(190);
  });

  it('same key + different body → 409 idempotency_conflict, nothing changes', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    const idempotencyKey = newIdempotencyKey();
    await createBatch(server, key, oneImage(), { idempotencyKey });
    for (const other of [
      batchOf([photo(9)]),
      { ...oneImage(), preset: 'marketplace_clean_catalog' },
      { ...oneImage(), preservation_level: 'strict' }, // the default, spelled out: still another body
    ]) {
      expectEnhancementError(
        await postEnhancement(server, key, other, { idempotencyKey }),
        409,
        'idempotency_conflict',
      );
    }
    expect(await storedEnhancements(server, accountId)).toHaveLength(1);
    expect(await movements(server, accountId)).toEqual(['reserve:-5']);
  });

  it('keys are scoped per account and per environment', async () => {
    const idempotencyKey = newIdempotencyKey();
    const one = await enhancementAccount(server, books);
    const two = await enhancementAccount(server, books);
    const first = await createBatch(server, one.key, oneImage(), { idempotencyKey });
    const second = await createBatch(server, two.key, oneImage(), { idempotencyKey });
    expect(second.enhancement.id).not.toBe(first.enhancement.id);
    const testKey = (await mintKey(server, one.accountId, { environment: 'test' })).key;
    const sandbox = await createBatch(server, testKey, oneImage(), { idempotencyKey });
    expect(sandbox.enhancement.sandbox).toBe(true);
    expect(sandbox.enhancement.id).not.toBe(first.enhancement.id);
  });
});

describe('live eligibility and credits', () => {
  it('403 api_access_not_enabled below 200 purchased credits; promotional credits do not count', async () => {
    const { accountId, key } = await enhancementAccount(server, books, { purchased: 199, promotional: 1000 });
    const response = await postEnhancement(server, key, oneImage());
    expectEnhancementError(response, 403, 'api_access_not_enabled');
    expect(response.body.error.message).toMatch(/200/);
    await expectNoEffect(accountId);
    await grantCredits(server, accountId, 1, 'purchased');
    const created = await createBatch(server, key, oneImage());
    expect(created.remaining_paid_credits).toBe(195);
  });

  it('an account that never bought credits → 403 api_access_not_enabled, not 402', async () => {
    const { accountId, key } = await enhancementAccount(server, books, { purchased: 0 });
    expectEnhancementError(await postEnhancement(server, key, oneImage()), 403, 'api_access_not_enabled');
    await expectNoEffect(accountId);
  });

  it('402 insufficient_api_credits when 5 × images paid credits are not available (checked before the active limit)', async () => {
    const { accountId, key } = await enhancementAccount(server, books, { purchased: 200 });
    const twenty = () => batchOf(Array.from({ length: 20 }, (_, i) => photo(i)));
    const firstKey = newIdempotencyKey();
    const first = await createBatch(server, key, twenty(), { idempotencyKey: firstKey });
    expect(first.remaining_paid_credits).toBe(100);
    // Exactly the batch's cost available: accepted.
    const key2 = (await mintKey(server, accountId)).key;
    const second = await createBatch(server, key2, twenty());
    expect(second.remaining_paid_credits).toBe(0);

    await grantCredits(server, accountId, 500, 'promotional');
    const key3 = (await mintKey(server, accountId)).key;
    // The account is also at its active limit (2): credits are checked first.
    const refused = await postEnhancement(server, key3, oneImage());
    expectEnhancementError(refused, 402, 'insufficient_api_credits');

    // Idempotency comes before credits: the first batch still replays, and a conflict is still a conflict.
    const replay = await postEnhancement(server, key, twenty(), { idempotencyKey: firstKey });
    expect(replay.status, replay.text).toBe(200);
    expectEnhancementError(
      await postEnhancement(server, key, oneImage(), { idempotencyKey: firstKey }),
      409,
      'idempotency_conflict',
    );

    expect(await credits(server, accountId)).toEqual({
      paid_available: 0,
      paid_reserved: 200,
      lifetime_purchased: 200,
      promotional: 500,
    });
    expect(await movements(server, accountId)).toEqual(['reserve:-100', 'reserve:-100']);
  });
});

describe('429 too_many_active_enhancements', () => {
  it('1 active batch per key and 2 per account', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    await createBatch(server, key, oneImage());
    const perKey = await postEnhancement(server, key, oneImage());
    expectEnhancementError(perKey, 429, 'too_many_active_enhancements');

    const key2 = (await mintKey(server, accountId)).key;
    await createBatch(server, key2, oneImage());
    const key3 = (await mintKey(server, accountId)).key;
    const perAccount = await postEnhancement(server, key3, oneImage());
    expectEnhancementError(perAccount, 429, 'too_many_active_enhancements');

    // Sandbox batches are counted in their own environment.
    const testKey = (await mintKey(server, accountId, { environment: 'test' })).key;
    await createBatch(server, testKey, oneImage());

    expect(await storedEnhancements(server, accountId)).toHaveLength(3);
    expect(await movements(server, accountId)).toEqual(['reserve:-5', 'reserve:-5']);
  });
});

describe('503 queue_unavailable', () => {
  it('releases the reservation, leaves no enhancement behind, and the same request can be retried', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    const idempotencyKey = newIdempotencyKey();
    const body = batchOf([photo(1), photo(2)]);
    const queue = server.services.queue;
    const enqueue = queue.enqueue;
    let attempts = 0;
    queue.enqueue = async () => {
      attempts++;
      throw new QueueUnavailableError(new Error('connection refused'));
    };
    let response: Awaited<ReturnType<typeof postEnhancement>>;
    try {
      response = await postEnhancement(server, key, body, { idempotencyKey });
    } finally {
      queue.enqueue = enqueue;
    }
    expect(attempts).toBe(1);
    expectEnhancementError(response, 503, 'queue_unavailable');
    expect(response.text).not.toMatch(/connection refused/);

    expect(await credits(server, accountId)).toEqual({
      paid_available: 200,
      paid_reserved: 0,
      lifetime_purchased: 200,
      promotional: 0,
    });
    const entries = (await ledgerOf(server, accountId)).filter((e) => e.type !== 'grant');
    expect(entries.map((e) => `${e.type}:${e.amount}`)).toEqual(['reserve:-10', 'release:10']);
    const ghost = entries[0]?.enhancement_id ?? '';
    expect(entries[1]?.enhancement_id).toBe(ghost);
    expect(await storedEnhancements(server, accountId)).toEqual([]);
    const items = await server.services.store.db
      .selectFrom('enhancement_items')
      .select('id')
      .where('enhancement_id', '=', ghost)
      .execute();
    expect(items).toEqual([]);
    expectEnhancementError(
      await server.request('GET', `${ENHANCEMENTS}/${ghost}`, { key }),
      404,
      'enhancement_not_found',
    );
    const list = await server.request('GET', ENHANCEMENTS, { key });
    expect(list.body.enhancements).toEqual([]);

    // "Retry later": the same key and body now create the batch (the failed attempt left no idempotency record,
    // and it did not count against the active limit).
    const retried = await createBatch(server, key, body, { idempotencyKey });
    expect(retried.enhancement.id).not.toBe(ghost);
    expect(retried.remaining_paid_credits).toBe(190);
  });
});

describe('order of checks: auth → account state → payload → idempotency → eligibility → credits → active limit', () => {
  it('a bad body without an Idempotency-Key → invalid_payload', async () => {
    const { key } = await enhancementAccount(server, books);
    expectEnhancementError(
      await postEnhancement(server, key, { images: [] }, { idempotencyKey: null }),
      400,
      'invalid_payload',
    );
  });

  it('a content policy violation or a bad webhook without an Idempotency-Key → the payload code', async () => {
    const { key } = await enhancementAccount(server, books);
    expectEnhancementError(
      await postEnhancement(
        server,
        key,
        { ...oneImage(), instructions: 'forbidden-word' },
        { idempotencyKey: null },
      ),
      422,
      'content_policy_violation',
    );
    expectEnhancementError(
      await postEnhancement(
        server,
        key,
        { ...oneImage(), webhook_url: 'http://x.test/' },
        { idempotencyKey: 'no' },
      ),
      400,
      'invalid_webhook_url',
    );
  });

  it('a bad Idempotency-Key on an account that may not use the live API → invalid_idempotency_key', async () => {
    const { key } = await enhancementAccount(server, books, { purchased: 0 });
    expectEnhancementError(
      await postEnhancement(server, key, oneImage(), { idempotencyKey: 'short' }),
      400,
      'invalid_idempotency_key',
    );
  });

  it('not eligible and not enough credits → api_access_not_enabled', async () => {
    const { key } = await enhancementAccount(server, books, { purchased: 3 });
    expectEnhancementError(await postEnhancement(server, key, oneImage()), 403, 'api_access_not_enabled');
  });
});

describe('GET /api/v1/product-image-enhancements/{id}', () => {
  let owner: Awaited<ReturnType<typeof enhancementAccount>>;
  let liveId: string;
  let testKey: string;
  let sandboxId: string;

  beforeAll(async () => {
    owner = await enhancementAccount(server, books);
    liveId = (await createBatch(server, owner.key, oneImage())).enhancement.id;
    testKey = (await mintKey(server, owner.accountId, { environment: 'test' })).key;
    sandboxId = (await createBatch(server, testKey, oneImage())).enhancement.id;
  });

  it('400 invalid_enhancement_id when the id is not a UUID', async () => {
    for (const id of ['not-a-uuid', '12345', `${randomUUID()}0`, randomUUID().replace(/-/g, '')]) {
      const response = await server.request('GET', `${ENHANCEMENTS}/${id}`, { key: owner.key });
      expectEnhancementError(response, 400, 'invalid_enhancement_id');
    }
  });

  it('404 enhancement_not_found for an unknown id and for another account’s enhancement', async () => {
    expectEnhancementError(
      await server.request('GET', `${ENHANCEMENTS}/${randomUUID()}`, { key: owner.key }),
      404,
      'enhancement_not_found',
    );
    const stranger = await enhancementAccount(server, books);
    const strangerTest = (await mintKey(server, stranger.accountId, { environment: 'test' })).key;
    for (const [key, id] of [
      [stranger.key, liveId],
      [stranger.key, sandboxId],
      [strangerTest, liveId],
    ] as const) {
      expectEnhancementError(
        await server.request('GET', `${ENHANCEMENTS}/${id}`, { key }),
        404,
        'enhancement_not_found',
      );
    }
  });

  it('403 api_key_environment_mismatch for the other environment’s enhancement of the same account', async () => {
    expectEnhancementError(
      await server.request('GET', `${ENHANCEMENTS}/${liveId}`, { key: testKey }),
      403,
      'api_key_environment_mismatch',
    );
    expectEnhancementError(
      await server.request('GET', `${ENHANCEMENTS}/${sandboxId}`, { key: owner.key }),
      403,
      'api_key_environment_mismatch',
    );
  });

  it('200 for the owner in its environment (the id is case-insensitive); 401 without a key', async () => {
    expect((await readEnhancement(server, owner.key, liveId)).id).toBe(liveId);
    expect((await readEnhancement(server, owner.key, liveId.toUpperCase())).id).toBe(liveId);
    expect((await readEnhancement(server, testKey, sandboxId)).sandbox).toBe(true);
    expectEnhancementError(await server.request('GET', `${ENHANCEMENTS}/${liveId}`), 401, 'missing_api_key');
  });
});

describe('429 rate_limit_exceeded (LIGHTBOX_ENHANCEMENT_CREATES_PER_MINUTE=2)', () => {
  let limited: TestServer;

  beforeAll(async () => {
    limited = await startTestServer({ LIGHTBOX_ENHANCEMENT_CREATES_PER_MINUTE: '2' }, { worker: false });
  });

  afterAll(async () => {
    books.forget(limited);
    await limited?.close();
  });

  it('the third create of a key in a minute → 429 with Retry-After and X-RateLimit-*; other keys unaffected', async () => {
    const { accountId, key } = await enhancementAccount(limited, books);
    const expectHeaders = (response: Awaited<ReturnType<typeof postEnhancement>>, remaining: number) => {
      expect(response.headers.get('x-ratelimit-limit')).toBe('2');
      expect(response.headers.get('x-ratelimit-remaining')).toBe(String(remaining));
      const reset = Number(response.headers.get('x-ratelimit-reset'));
      const now = Date.now() / 1000;
      expect(reset).toBeGreaterThan(now - 1);
      expect(reset).toBeLessThanOrEqual(now + 61);
      return reset;
    };
    // A malformed request spends the budget too, and says so: the limit precedes body parsing.
    const first = await postEnhancement(limited, key, '{"images": [');
    expectEnhancementError(first, 400, 'invalid_payload');
    expectHeaders(first, 1);
    const idempotencyKey = newIdempotencyKey();
    const second = await postEnhancement(limited, key, oneImage(), { idempotencyKey });
    expect(second.status, second.text).toBe(201);
    expectHeaders(second, 0);

    for (const options of [{}, { idempotencyKey }]) {
      const third = await postEnhancement(limited, key, oneImage(), options);
      expectEnhancementError(third, 429, 'rate_limit_exceeded');
      const reset = expectHeaders(third, 0);
      const retryAfter = Number(third.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // GCRA: one more create is allowed after Retry-After; the whole budget is back at X-RateLimit-Reset.
      expect(retryAfter).toBeLessThanOrEqual(Math.ceil(reset - Date.now() / 1000) + 1);
    }
    expect(await movements(limited, accountId)).toEqual(['reserve:-5']);

    const other = await enhancementAccount(limited, books);
    const response = await postEnhancement(limited, other.key, oneImage());
    expect(response.status, response.text).toBe(201);
    expectHeaders(response, 1);
    // Auth still comes first: no key is a 401, not a 429.
    expectEnhancementError(await postEnhancement(limited, undefined, oneImage()), 401, 'missing_api_key');
  });
});

describe('500 rate_limit_unavailable', () => {
  it('the limiter failing closes the create route (fail closed), without internals in the body', async () => {
    const { accountId, key } = await enhancementAccount(server, books);
    const limiter = server.services.limiter;
    const hit = limiter.hit;
    limiter.hit = async () => {
      throw new Error('ECONNREFUSED limiter-backend:6379');
    };
    try {
      const response = await postEnhancement(server, key, oneImage());
      expectEnhancementError(response, 500, 'rate_limit_unavailable');
      expect(response.text).not.toMatch(/ECONNREFUSED|6379/);
    } finally {
      limiter.hit = hit;
    }
    await expectNoEffect(accountId);
  });
});

describe('configurable eligibility and price (LIGHTBOX_API_MIN_LIFETIME_PURCHASED=50, LIGHTBOX_CREDITS_PER_IMAGE=0)', () => {
  let free: TestServer;

  beforeAll(async () => {
    free = await startTestServer(
      { LIGHTBOX_API_MIN_LIFETIME_PURCHASED: '50', LIGHTBOX_CREDITS_PER_IMAGE: '0' },
      { worker: false },
    );
  });

  afterAll(async () => {
    books.forget(free);
    await free?.close();
  });

  it('the threshold is the configured one, and a free batch reserves nothing', async () => {
    const { accountId, key } = await enhancementAccount(free, books, { purchased: 49 });
    const refused = await postEnhancement(free, key, oneImage());
    expectEnhancementError(refused, 403, 'api_access_not_enabled');
    expect(refused.body.error.message).toMatch(/\b50\b/);
    await grantCredits(free, accountId, 1, 'purchased');
    const created = await createBatch(free, key, batchOf([photo(1), photo(2)]));
    expect(created.enhancement).toMatchObject({ credits_reserved: 0, sandbox: false, total_items: 2 });
    expect(created.remaining_paid_credits).toBe(50);
    expect(await movements(free, accountId)).toEqual([]);
  });
});

describe('GET /api/v1/product-image-enhancements (list)', () => {
  let reads: TestServer;
  let sources: SourceServer;
  let owner: Awaited<ReturnType<typeof enhancementAccount>>;
  /** Newest first, with each batch's final status. */
  const created: { id: string; status: string }[] = [];

  beforeAll(async () => {
    sources = await startSourceServer();
    sources.serve('/product.jpg', await productPhoto('jpeg'), 'image/jpeg');
    reads = await startTestServer({
      ...LOOPBACK_SOURCES,
      LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_KEY: '100',
      LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_ACCOUNT: '100',
    });
    owner = await enhancementAccount(reads, books, { environment: 'test', verified: false });
    const good = `${sources.url}/product.jpg`;
    const bad = `${sources.url}/missing.jpg`;
    const batches = [[good], [bad], [good, bad], [bad, bad], [good], [bad], [good, bad]];
    const ids: string[] = [];
    for (const urls of batches) ids.push((await createBatch(reads, owner.key, batchOf(urls))).enhancement.id);
    for (const id of ids) {
      const done = await waitForEnhancement(reads, owner.key, id);
      created.unshift({ id, status: done.status });
    }
  });

  afterAll(async () => {
    books.forget(reads);
    await reads?.close();
    await sources?.close();
  });

  const list = (key: string, query = '') =>
    reads.request('GET', `${ENHANCEMENTS}${query ? `?${query}` : ''}`, { key });

  it('newest first; limit/cursor pages without duplicates or gaps; summaries without items', async () => {
    expect(new Set(created.map((c) => c.status))).toEqual(
      new Set(['completed', 'failed', 'partially_completed']),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await list(
        owner.key,
        `limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(response.status, response.text).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(['enhancements', 'next_cursor', 'request_id']);
      expect(response.body.request_id).toBe(response.headers.get('x-request-id'));
      expect(response.body.enhancements.length).toBeLessThanOrEqual(3);
      for (const summary of response.body.enhancements) {
        expect(summary.items).toBeUndefined();
        expect(summary.sandbox).toBe(true);
        seen.push(summary.id);
      }
      cursor = response.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(created.map((c) => c.id));

    const all = await list(owner.key);
    expect(all.body.next_cursor).toBeNull();
    expect(all.body.enhancements.map((e: { id: string }) => e.id)).toEqual(created.map((c) => c.id));
    const one = await readEnhancement(reads, owner.key, created[0]?.id ?? '');
    const { items: _items, ...summary } = one;
    expect(all.body.enhancements[0]).toEqual(summary);
  });

  it('status filters, also across pages', async () => {
    for (const status of ['completed', 'failed', 'partially_completed']) {
      const expected = created.filter((c) => c.status === status).map((c) => c.id);
      expect(expected.length).toBeGreaterThan(1);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await list(
          owner.key,
          `status=${status}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(response.status, response.text).toBe(200);
        for (const e of response.body.enhancements) {
          expect(e.status).toBe(status);
          seen.push(e.id);
        }
        cursor = response.body.next_cursor;
      } while (cursor && seen.length <= created.length);
      expect(seen).toEqual(expected);
    }
    expect((await list(owner.key, 'status=queued')).body.enhancements).toEqual([]);
  });

  it('only the key’s account and environment', async () => {
    const liveKey = (await mintKey(reads, owner.accountId, { environment: 'live' })).key;
    await patchAccount(reads, owner.accountId, { email_verified: true });
    expect((await list(liveKey)).body.enhancements).toEqual([]);
    const stranger = await enhancementAccount(reads, books, { environment: 'test' });
    expect((await list(stranger.key)).body).toMatchObject({ enhancements: [], next_cursor: null });
  });

  it('bad query → 400 invalid_payload', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=ten', 'status=done', 'cursor=%21%21%21']) {
      expectEnhancementError(await list(owner.key, query), 400, 'invalid_payload');
    }
  });
});
