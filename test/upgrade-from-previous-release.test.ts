import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiKey } from '../src/accounts/api-key-format.ts';
import { ledgerViolations } from '../src/credits/ledger.ts';
import { migrateTo, migrationLevel, pendingMigrations } from '../src/store/migrate.ts';
import { migrations } from '../src/store/migrations/index.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Store } from '../src/store/store.ts';
import { DIALECTS, scratchDatabase } from './support/databases.ts';
import { runLightbox } from './support/processes.ts';
import { startTestServer } from './support/test-server.ts';

/** The last migration of the previous release (0.1.0): databases in the field stop here. */
const PREVIOUS_RELEASE = '0007-rendition-cache';

const NOW = 1_767_000_000_000;
const ACCOUNT = 'acc_0a1b2c3d4e5f6g7h';
const KEY_ID = 'key_7h6g5f4e3d2c1b0a';
const ENHANCEMENT = '3c9b8a71-6f5e-4d3c-9b2a-1f0e9d8c7b6a';
const key = mintApiKey('img', 'live');

/**
 * Rows as the previous release wrote them, column by column of its schema (not of today's types: a later
 * migration may add columns these rows never had). Ledger: a grant of 200, a two-item batch reserving 10, one item
 * consumed and one released; each balance_after as the ledger writes it.
 */
const FIXTURE: Record<string, Record<string, unknown>[]> = {
  accounts: [
    {
      id: ACCOUNT,
      email: 'old@example.test',
      email_verified: 1,
      plan: 'free',
      registration_policy: 'approval',
      suspended: 0,
      payment_risk: 0,
      paid_available: 195,
      paid_reserved: 0,
      lifetime_purchased: 200,
      promotional: 0,
      created_at: NOW,
      updated_at: NOW,
    },
  ],
  api_keys: [
    {
      id: KEY_ID,
      account_id: ACCOUNT,
      name: 'from 0.1.0',
      environment: 'live',
      status: 'active',
      key_hash: createHash('sha256').update(key).digest('hex'),
      hint: `${key.slice(0, 13)}…`,
      expires_at: null,
      last_used_at: NOW,
      created_at: NOW,
    },
  ],
  ledger_entries: [
    {
      id: 'le_1',
      account_id: ACCOUNT,
      type: 'grant',
      kind: 'purchased',
      amount: 200,
      balance_after: 200,
      enhancement_id: null,
      note: 'launch',
      created_at: NOW,
    },
    {
      id: 'le_2',
      account_id: ACCOUNT,
      type: 'reserve',
      kind: 'purchased',
      amount: -10,
      balance_after: 190,
      enhancement_id: ENHANCEMENT,
      note: null,
      created_at: NOW + 1,
    },
    {
      id: 'le_3',
      account_id: ACCOUNT,
      type: 'consume',
      kind: 'purchased',
      amount: -5,
      balance_after: 5,
      enhancement_id: ENHANCEMENT,
      note: null,
      created_at: NOW + 2,
    },
    {
      id: 'le_4',
      account_id: ACCOUNT,
      type: 'release',
      kind: 'purchased',
      amount: 5,
      balance_after: 195,
      enhancement_id: ENHANCEMENT,
      note: null,
      created_at: NOW + 3,
    },
  ],
  media: [
    {
      id: 'Med1aOld',
      account_id: ACCOUNT,
      environment: 'live',
      token: 'tok_old_123456',
      name: 'shoe.png',
      format: 'png',
      width: 640,
      height: 480,
      frames: 1,
      filesize: 12_345,
      blob_key: 'originals/Med1aOld',
      namespace: 'catalogue',
      tags: '["shoes","red"]',
      public: 1,
      date: '2026-01-02',
      metadata: '{"sku":"A-1"}',
      expiry_reason: null,
      expires_at: null,
      client_ip: '127.0.0.1',
      created_at: NOW,
      updated_at: NOW,
      levels: 2,
    },
  ],
  media_tags: [
    { media_id: 'Med1aOld', tag: 'shoes' },
    { media_id: 'Med1aOld', tag: 'red' },
  ],
  enhancements: [
    {
      id: ENHANCEMENT,
      account_id: ACCOUNT,
      key_id: KEY_ID,
      environment: 'live',
      status: 'partially_completed',
      preset: 'marketplace_clean_catalog',
      preservation_level: 'balanced',
      instructions: null,
      webhook_url: 'https://hooks.example.test/lightbox',
      signing_key_hash: 'f'.repeat(64),
      total_items: 2,
      completed_items: 1,
      failed_items: 1,
      credits_reserved: 10,
      credits_used: 5,
      sandbox: 0,
      request_id: 'req_old',
      seq: '0001767000000000-0001',
      created_at: NOW,
      updated_at: NOW + 3,
      completed_at: NOW + 3,
    },
  ],
  enhancement_items: [
    {
      id: '5d0e2f43-8c1b-4f7e-9a51-0c1d2e3f4a5b',
      enhancement_id: ENHANCEMENT,
      position: 0,
      external_id: 'sku-1',
      source_url: 'https://shop.example.test/1.jpg',
      status: 'completed',
      result_media_id: 'Med1aOld',
      thumbnail_media_id: null,
      error_code: null,
      error_message: null,
      provider: 'classical',
      credits_reserved: 5,
      credits_used: 5,
      attempts: 1,
      created_at: NOW,
      updated_at: NOW + 2,
    },
    {
      id: '6e1f3054-9d2c-4a8f-8b62-1d2e3f4a5b6c',
      enhancement_id: ENHANCEMENT,
      position: 1,
      external_id: null,
      source_url: 'https://shop.example.test/2.jpg',
      status: 'failed',
      result_media_id: null,
      thumbnail_media_id: null,
      error_code: 'source_url_unreachable',
      error_message: 'The image URL answered 404',
      provider: null,
      credits_reserved: 5,
      credits_used: 0,
      attempts: 1,
      created_at: NOW,
      updated_at: NOW + 3,
    },
  ],
  webhook_events: [
    {
      id: 'evt_old',
      account_id: ACCOUNT,
      enhancement_id: ENHANCEMENT,
      type: 'enhancement.completed',
      endpoint_url: 'https://hooks.example.test/lightbox',
      payload: '{"type":"enhancement.completed"}',
      signing_key_hash: 'f'.repeat(64),
      status: 'delivered',
      attempts: 1,
      next_attempt_at: null,
      sending_until: null,
      delivered_at: NOW + 4,
      created_at: NOW + 3,
    },
  ],
  webhook_attempts: [
    {
      id: 'att_old',
      event_id: 'evt_old',
      attempt: 1,
      outcome: 'delivered',
      status_code: 200,
      latency_ms: 42,
      error: null,
      response_excerpt: 'ok',
      created_at: NOW + 4,
    },
  ],
  jobs: [
    {
      id: 'job_old',
      name: 'media.pyramid',
      payload: '{"mediaId":"Med1aOld"}',
      status: 'dead',
      dedupe_key: 'Med1aOld',
      attempts: 3,
      max_attempts: 3,
      run_at: NOW,
      lease_until: null,
      lease_token: null,
      last_error: 'gone',
      created_at: NOW,
      updated_at: NOW,
    },
  ],
  rendition_cache: [
    {
      blob_key: 'renditions/Med1aOld/w200.webp',
      media_id: 'Med1aOld',
      counted: 1,
      format: 'webp',
      width: 200,
      height: 150,
      bytes: 4_000,
      last_used_at: NOW,
    },
  ],
  rendition_counts: [{ media_id: 'Med1aOld', count: 1 }],
  upload_counts: [{ account_id: ACCOUNT, month: '2026-01', count: 1 }],
  outbox: [
    {
      id: 'out_old',
      to_email: 'old@example.test',
      subject: 'Verify',
      body: 'hello',
      links: '[]',
      created_at: NOW,
      sent_at: null,
    },
  ],
  idempotency_records: [
    {
      account_id: ACCOUNT,
      environment: 'live',
      idempotency_key: 'idem-1',
      body_hash: 'a'.repeat(64),
      response_status: 201,
      response_body: '{}',
      created_at: NOW,
      expires_at: NOW + 86_400_000,
    },
  ],
  blob_garbage: [{ blob_key: 'originals/orphan', due_at: NOW }],
};

async function insertRow(db: Kysely<unknown>, table: string, row: Record<string, unknown>): Promise<void> {
  const columns = Object.keys(row);
  await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) values (${sql.join(
    columns.map((c) => row[c]),
  )})`.execute(db);
}

async function rowsOf(
  db: Kysely<unknown>,
  table: string,
  columns: string[],
): Promise<Record<string, unknown>[]> {
  const result = await sql<
    Record<string, unknown>
  >`select ${sql.join(columns.map((c) => sql.ref(c)))} from ${sql.table(
    table,
  )} order by ${sql.ref(columns[0] as string)}`.execute(db);
  // Both dialects: bigint columns come back as numbers (the store's type parser), the rest as written.
  return result.rows.map((row) =>
    Object.fromEntries(columns.map((c) => [c, row[c] === null ? null : row[c]])),
  );
}

const sorted = (rows: Record<string, unknown>[]) => rows.map((row) => JSON.stringify(row)).sort();

/**
 * The one value the upgrade changes on purpose: migrations 0014 and 0015 mark pyramid levels unbuilt, so that each
 * media gets levels of the current kind on its next uncached rendition.
 */
const upgraded =
  (table: string) =>
  (row: Record<string, unknown>): Record<string, unknown> =>
    table === 'media' && Number(row.levels) > 0 ? { ...row, levels: 0 } : row;

/**
 * A database as the previous release left it — migrated up to its last migration and holding realistic rows —
 * is upgraded by this release's migrations without losing or changing a value, then served by this release.
 */
for (const dialect of DIALECTS) {
  describe(`upgrade from the previous release (${dialect})`, () => {
    let database: Awaited<ReturnType<typeof scratchDatabase>>;
    let store: Store;
    let scratchDir: string;

    beforeAll(async () => {
      database = await scratchDatabase(dialect);
      scratchDir = await mkdtemp(path.join(tmpdir(), 'lightbox-upgrade-'));
      store = await openStore(database.config, { migrate: false });
    });
    afterAll(async () => {
      await store?.close();
      await database?.drop();
      await rm(scratchDir, { recursive: true, force: true });
    });

    it('keeps every row through the migrations since, and this release serves them', async () => {
      const db = store.db as Kysely<unknown>;
      expect(await migrateTo(db, PREVIOUS_RELEASE)).toContain(PREVIOUS_RELEASE);
      for (const [table, rows] of Object.entries(FIXTURE)) {
        for (const row of rows) await insertRow(db, table, row);
      }
      const pending = await pendingMigrations(db);
      expect(pending).toEqual(Object.keys(migrations).filter((name) => name > PREVIOUS_RELEASE));

      // As an operator upgrades: `lightbox migrate --dry-run` lists them, `lightbox migrate` applies them.
      const cli = {
        LIGHTBOX_DATA_DIR: scratchDir,
        LIGHTBOX_DATABASE_URL:
          database.config.kind === 'sqlite' ? `sqlite:${database.config.file}` : database.config.url,
      };
      const dry = await runLightbox(['migrate', '--dry-run'], cli);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toBe(
        `Database at ${PREVIOUS_RELEASE}; ${pending.length} pending migration(s)${pending.map((m) => `\n  ${m}`).join('')}\n`,
      );
      expect(await pendingMigrations(db)).toEqual(pending);
      const applied = await runLightbox(['migrate'], cli);
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stdout).toContain(`Applied ${pending.length} migration(s)`);
      expect(await pendingMigrations(db)).toEqual([]);
      expect(await migrationLevel(db)).toBe(Object.keys(migrations).at(-1));

      for (const [table, rows] of Object.entries(FIXTURE)) {
        const columns = Object.keys(rows[0] as object);
        expect(sorted(await rowsOf(db, table, columns)), table).toEqual(sorted(rows.map(upgraded(table))));
      }
      expect(await ledgerViolations(store.db, ACCOUNT)).toEqual([]);

      // This release, started on the upgraded database, accepts the old key and serves the old rows.
      const server = await startTestServer(
        database.config.kind === 'sqlite'
          ? { LIGHTBOX_DATABASE_URL: `sqlite:${database.config.file}` }
          : { LIGHTBOX_DATABASE_URL: database.config.url },
      );
      try {
        const media = await server.request('GET', '/v1/media/Med1aOld', { key });
        expect(media.status, media.text).toBe(200);
        expect(media.body).toMatchObject({ id: 'Med1aOld', namespace: 'catalogue', tags: ['shoes', 'red'] });
        // Migration 0012 backfilled the storage counter and the tag index from the old rows.
        const usage = await server.request('GET', '/v1/usage', { key });
        expect(usage.body.storage.used_bytes).toBe(12_345);
        const tagged = await server.request('GET', '/v1/media?tags=red,shoes&tag_mode=all', { key });
        expect(tagged.body.data.map((m: { id: string }) => m.id)).toEqual(['Med1aOld']);
        const batch = await server.request('GET', `/api/v1/product-image-enhancements/${ENHANCEMENT}`, {
          key,
        });
        expect(batch.status, batch.text).toBe(200);
        expect(batch.body.enhancement).toMatchObject({ status: 'partially_completed', credits_used: 5 });
        const account = await server.admin('GET', `/admin/v1/accounts/${ACCOUNT}`);
        expect(account.body.credits).toEqual({
          paid_available: 195,
          paid_reserved: 0,
          lifetime_purchased: 200,
          promotional: 0,
        });
      } finally {
        await server.close();
      }
    }, 60_000);
  });
}
