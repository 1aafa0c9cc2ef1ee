// Helpers for the enhancement suites (create, processing, concurrency, sandbox) over real HTTP: product photos,
// a loopback "internet" serving them, create/read calls, and the credits books checked after every test.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, expect } from 'vitest';
import { ledgerViolations } from '../../src/credits/ledger.ts';
import { installLoopbackGuard, stubResolver } from '../../src/fetcher/test-support.ts';
import { sharp } from '../../src/imaging/sharp-lib.ts';
import type { Tx } from '../../src/store/store.ts';
import { type AccountView, createAccount, grantCredits, type LedgerEntryView, mintKey } from './fixtures.ts';
import * as images from './images.ts';
import type { TestResponse, TestServer } from './test-server.ts';

export const ENHANCEMENTS = '/api/v1/product-image-enhancements';

/**
 * Works around a race in the PostgreSQL teardown of `startTestServer().close()`: `pool.end()` resolves before its
 * clients' sockets are closed, and the `drop database … with (force)` that follows terminates them. The `57P01`
 * that a closing client then receives is re-emitted by the pool, which has no `error` listener (see
 * `src/store/postgres-store.ts`), so it surfaces as an uncaught exception that fails the run (in any suite). A pool
 * or client that is ending has nothing left to report: its late errors are dropped. No effect on SQLite runs.
 */
const endPool = pg.Pool.prototype.end;
pg.Pool.prototype.end = function end(this: pg.Pool, ...args: unknown[]) {
  this.on('error', () => {});
  return (endPool as (...rest: unknown[]) => unknown).apply(this, args);
} as typeof endPool;
const endClient = pg.Client.prototype.end;
pg.Client.prototype.end = function end(this: pg.Client, ...args: unknown[]) {
  this.on('error', () => {});
  return (endClient as (...rest: unknown[]) => unknown).apply(this, args);
} as typeof endClient;

export const TERMINAL_STATUSES = ['completed', 'partially_completed', 'failed'];
/** docs/api.md §3.4, in the order of the spec. */
export const ITEM_ERROR_CODES = [
  'invalid_source_url',
  'source_url_dns_failed',
  'source_url_redirect_limit',
  'source_url_unreachable',
  'download_timeout',
  'file_too_large',
  'unsupported_file_type',
  'content_policy_violation',
  'provider_error',
  'storage_error',
] as const;

/** Lets the safe fetcher reach the loopback source server (it refuses loopback otherwise). */
export const LOOPBACK_SOURCES = { LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32' };

// ---------------------------------------------------------------------------------------------------------------
// Photos

/**
 * A product photo the classical pipeline accepts: a dark box on a uniform light background. `seed` shifts the
 * box, so two photos never share bytes.
 */
export async function productPhoto(
  format: 'jpeg' | 'png' | 'webp' = 'jpeg',
  options: { width?: number; height?: number; seed?: number } = {},
): Promise<Buffer> {
  const width = options.width ?? 1200;
  const height = options.height ?? 900;
  const seed = options.seed ?? 0;
  const box = await sharp({
    create: {
      width: Math.round(width * 0.4),
      height: Math.round(height * 0.45),
      channels: 3,
      background: '#223355',
    },
  })
    .png()
    .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#f4f4f4' } })
    .composite([{ input: box, left: Math.round(width * 0.3) + (seed % 20), top: Math.round(height * 0.27) }])
    .toFormat(format)
    .toBuffer();
}

/** Noise edge to edge: no studio backdrop, so the classical pipeline refuses it (`provider_error`). */
export const clutteredPhoto = (): Promise<Buffer> => images.noisePng(300_000);

/** Reads an image's format and size, failing the test when the bytes are not a decodable image. */
export async function imageInfo(bytes: Buffer): Promise<{ format: string; width: number; height: number }> {
  const meta = await sharp(bytes).metadata();
  return { format: meta.format ?? '', width: meta.width ?? 0, height: meta.height ?? 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// The loopback "internet"

export type SourceHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface SourceServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Request paths in arrival order. */
  readonly hits: string[];
  /** Serves `path` (exact, without query) with `handler` from now on. */
  route(path: string, handler: SourceHandler): void;
  /** Serves `body` at `path` with this declared type. */
  serve(path: string, body: Buffer | string, contentType: string): void;
  /** Resolves when `path` has been requested `count` times in all. */
  waitForHits(path: string, count?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A `node:http` server on 127.0.0.1. `/redirect/<n>/<path>` answers 302 to `/redirect/<n-1>/<path>`, and
 * `/redirect/1/<path>` to `/<path>`: a chain of exactly n redirects. Unknown paths are 404.
 */
export async function startSourceServer(): Promise<SourceServer> {
  const hits: string[] = [];
  const routes = new Map<string, SourceHandler>();
  const waiters: { path: string; count: number; resolve: () => void }[] = [];
  const count = (path: string) => hits.filter((hit) => hit === path).length;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    hits.push(path);
    for (const waiter of [...waiters]) {
      if (waiter.path === path && count(path) >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    const hop = /^\/redirect\/(\d+)\/(.*)$/.exec(path);
    if (hop) {
      const left = Number(hop[1]);
      response.writeHead(302, { location: left > 1 ? `/redirect/${left - 1}/${hop[2]}` : `/${hop[2]}` });
      response.end();
      return;
    }
    const handler = routes.get(path);
    if (handler) {
      handler(request, response);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    route: (path, handler) => routes.set(path, handler),
    serve: (path, body, contentType) =>
      routes.set(path, (_request, response) => {
        response.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
        response.end(body);
      }),
    waitForHits: (path, times = 1) =>
      count(path) >= times
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ path, count: times, resolve })),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Host names the suites use, answered without DNS: sources by name, a private host, and nothing else. */
export const HOSTS = {
  /** Resolves to the loopback source server (allowed by LIGHTBOX_FETCH_ALLOW_CIDRS). */
  photos: 'photos.example.test',
  /** Resolves to a private address: refused by the safe fetcher. */
  intranet: 'intranet.example.test',
  /** Resolves to a public address: a valid webhook host (nothing is ever sent to it here). */
  hooks: 'hooks.example.test',
  /** Resolves to a public and a private address: refused, one bad answer is enough. */
  mixed: 'mixed.example.test',
  /** Not in the table: the lookup fails (`ENOTFOUND`). */
  missing: 'no-such-host.example.test',
} as const;

/**
 * Swaps the server's safe fetcher for one with the same allow-list whose resolver answers from `HOSTS`, so no
 * test ever asks real DNS. Everything else (address policy, pinning, limits) is the production fetcher.
 */
export function useStubDns(server: TestServer): void {
  server.useResolver(
    stubResolver({
      [HOSTS.photos]: ['127.0.0.1'],
      [HOSTS.intranet]: ['10.20.30.40'],
      [HOSTS.hooks]: ['93.184.215.14'],
      [HOSTS.mixed]: ['93.184.215.14', '192.168.7.7'],
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Accounts and the credits books

export interface KeyedAccount {
  accountId: string;
  key: string;
  keyId: string;
}

/**
 * Every account a suite creates, checked after each test: balances equal the sum of the ledger entries and none
 * is negative (docs/api.md §4.4), and the reserved credits are exactly those of the items still in flight (nothing
 * leaks when a batch ends or is undone). `forget` drops a server's accounts before that server closes.
 */
export function creditBooks() {
  const tracked: { server: TestServer; accountId: string }[] = [];
  return {
    track(server: TestServer, accountId: string): void {
      tracked.push({ server, accountId });
    },
    forget(server: TestServer): void {
      for (let i = tracked.length - 1; i >= 0; i--) if (tracked[i]?.server === server) tracked.splice(i, 1);
    },
    async expectBalanced(): Promise<void> {
      for (const { server, accountId } of tracked) {
        expect(await violationsInSnapshot(server, accountId), `books of ${accountId}`).toEqual([]);
      }
    },
  };
}
export type CreditBooks = ReturnType<typeof creditBooks>;

/**
 * The hooks every enhancement suite starts with: the loopback guard (nothing a suite does may leave the machine;
 * checked when the file is done) and the credits books (checked after every test). Call it at the top of the file,
 * before the file's own hooks: after-hooks run in reverse order, so the guard is restored once the file's servers
 * are closed.
 */
export function enhancementSuite(): CreditBooks {
  const guard = installLoopbackGuard();
  const books = creditBooks();
  afterEach(async () => {
    await books.expectBalanced();
  });
  afterAll(() => {
    guard.restore();
    expect(guard.violations).toEqual([]);
  });
  return books;
}

/**
 * The checks of `creditBooks`, read from one snapshot (they take several queries): work still running on the
 * server cannot make a balanced account look unbalanced between them.
 */
function violationsInSnapshot(server: TestServer, accountId: string): Promise<string[]> {
  const { store, config } = server.services;
  const check = async (tx: Tx) => {
    const problems = await ledgerViolations(tx, accountId);
    const account = await tx
      .selectFrom('accounts')
      .select('paid_reserved')
      .where('id', '=', accountId)
      .executeTakeFirst();
    const inFlight = await tx
      .selectFrom('enhancement_items as i')
      .innerJoin('enhancements as e', 'e.id', 'i.enhancement_id')
      .select('i.credits_reserved')
      .where('e.account_id', '=', accountId)
      .where('i.status', 'in', ['queued', 'processing'])
      .execute();
    const held = inFlight.reduce((sum, item) => sum + Number(item.credits_reserved), 0);
    if (account && Number(account.paid_reserved) !== held) {
      problems.push(`paid_reserved is ${account.paid_reserved}, items in flight hold ${held}`);
    }
    return problems;
  };
  if (config.database.kind === 'postgres') {
    return store.db.transaction().setIsolationLevel('repeatable read').execute(check);
  }
  // SQLite transactions run alone on the one connection.
  return store.transaction(check);
}

/**
 * A tracked account with one key. Live accounts are verified and get `purchased` credits (default 200, the
 * eligibility minimum) unless told otherwise.
 */
export async function enhancementAccount(
  server: TestServer,
  books: CreditBooks,
  options: {
    environment?: 'live' | 'test';
    verified?: boolean;
    purchased?: number;
    promotional?: number;
  } = {},
): Promise<KeyedAccount & { account: AccountView }> {
  const environment = options.environment ?? 'live';
  const account = await createAccount(server, { verified: options.verified ?? true });
  books.track(server, account.id);
  const purchased = options.purchased ?? (environment === 'live' ? 200 : 0);
  if (purchased > 0) await grantCredits(server, account.id, purchased, 'purchased');
  if (options.promotional) await grantCredits(server, account.id, options.promotional, 'promotional');
  const key = await mintKey(server, account.id, { environment });
  return { accountId: account.id, key: key.key, keyId: key.key_id, account };
}

export async function ledgerOf(server: TestServer, accountId: string): Promise<LedgerEntryView[]> {
  const response = await server.admin('GET', `/admin/v1/accounts/${accountId}/ledger?limit=1000`);
  expect(response.status, response.text).toBe(200);
  return (response.body.data as LedgerEntryView[]).slice().reverse();
}

/** The ledger without grants, oldest first, as `type:amount` (e.g. `reserve:-15`, `consume:-5`). */
export async function movements(server: TestServer, accountId: string, enhancementId?: string) {
  return (await ledgerOf(server, accountId))
    .filter((e) => e.type !== 'grant' && (enhancementId === undefined || e.enhancement_id === enhancementId))
    .map((e) => `${e.type}:${e.amount}`);
}

export async function credits(server: TestServer, accountId: string) {
  const response = await server.admin('GET', `/admin/v1/accounts/${accountId}`);
  expect(response.status, response.text).toBe(200);
  return (response.body as AccountView).credits;
}

// ---------------------------------------------------------------------------------------------------------------
// The API

export const newIdempotencyKey = (): string => `test-${randomUUID()}`;

export interface CreateOptions {
  /** Default: a fresh key. `null` sends no header. */
  idempotencyKey?: string | null;
  headers?: Record<string, string>;
}

export function postEnhancement(
  server: TestServer,
  key: string | undefined,
  body: unknown,
  options: CreateOptions = {},
): Promise<TestResponse> {
  const idempotencyKey = options.idempotencyKey === undefined ? newIdempotencyKey() : options.idempotencyKey;
  return server.request('POST', ENHANCEMENTS, {
    ...(key ? { key } : {}),
    json: body,
    headers: {
      ...(idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey }),
      ...options.headers,
    },
  });
}

export interface CreatedEnhancement {
  enhancement: {
    id: string;
    status: string;
    total_items: number;
    credits_reserved: number;
    sandbox: boolean;
  };
  remaining_paid_credits: number;
  request_id: string;
}

/** Creates and insists on 201; for setting up batches that later steps read. */
export async function createBatch(
  server: TestServer,
  key: string,
  body: unknown,
  options: CreateOptions = {},
): Promise<CreatedEnhancement> {
  const response = await postEnhancement(server, key, body, options);
  expect(response.status, `create: ${response.text}`).toBe(201);
  return response.body as CreatedEnhancement;
}

/** `{images: [{source_url}]}` for these URLs. */
export const batchOf = (urls: string[], extra: Record<string, unknown> = {}) => ({
  images: urls.map((source_url) => ({ source_url })),
  ...extra,
});

export interface ItemView {
  id: string;
  external_id: string | null;
  source_url: string;
  status: string;
  result_url: string | null;
  thumbnail_url: string | null;
  error_code: string | null;
  error_message: string | null;
  credits_reserved: number;
  credits_used: number;
  warnings: { code: string; message: string }[];
}

export interface EnhancementView {
  id: string;
  status: string;
  preset: string;
  preservation_level: string;
  total_items: number;
  completed_items: number;
  failed_items: number;
  items_with_warnings: number;
  credits_reserved: number;
  credits_used: number;
  sandbox: boolean;
  created_at: string;
  completed_at: string | null;
  items: ItemView[];
}

export async function readEnhancement(server: TestServer, key: string, id: string): Promise<EnhancementView> {
  const response = await server.request('GET', `${ENHANCEMENTS}/${id}`, { key });
  expect(response.status, response.text).toBe(200);
  return response.body.enhancement as EnhancementView;
}

/** Polls `GET …/{id}` until `done` holds (default: a terminal status); fails after `timeoutMs`. */
export async function waitForEnhancement(
  server: TestServer,
  key: string,
  id: string,
  options: { timeoutMs?: number; done?: (e: EnhancementView) => boolean } = {},
): Promise<EnhancementView> {
  const done = options.done ?? ((e) => TERMINAL_STATUSES.includes(e.status));
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const enhancement = await readEnhancement(server, key, id);
    if (done(enhancement)) return enhancement;
    if (Date.now() > deadline) {
      throw new Error(`enhancement ${id} not done in time: ${JSON.stringify(enhancement, null, 1)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The nested envelope of seeds/000, exactly: `{"error": {"code", "message", "request_id"}}` and nothing else. */
export function expectEnhancementError(
  response: TestResponse,
  status: number,
  code: string,
  message?: string | RegExp,
): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(response.body)).toEqual(['error']);
  expect(Object.keys(response.body.error).sort()).toEqual(['code', 'message', 'request_id']);
  expect(response.body.error.code).toBe(code);
  expect(typeof response.body.error.message).toBe('string');
  expect(response.body.error.message.length).toBeGreaterThan(0);
  if (typeof message === 'string') expect(response.body.error.message).toBe(message);
  else if (message) expect(response.body.error.message).toMatch(message);
  expect(response.body.error.request_id).toBe(response.headers.get('x-request-id'));
  expect(response.body.error.request_id).toMatch(/^req_[A-Za-z0-9]{20,}$/);
}

/** The enhancement rows of an account, straight from the store (what a client could ever see, and more). */
export async function storedEnhancements(server: TestServer, accountId: string) {
  return server.services.store.db
    .selectFrom('enhancements')
    .selectAll()
    .where('account_id', '=', accountId)
    .execute();
}

/** Fetches a `src` URL of the test server and returns its bytes, insisting on 200 and the content type. */
export async function loadSrc(url: string, type = 'image/jpeg'): Promise<Buffer> {
  const response = await fetch(url);
  const bytes = Buffer.from(await response.arrayBuffer());
  expect(response.status, `${url}: ${bytes.subarray(0, 200).toString()}`).toBe(200);
  expect(response.headers.get('content-type')).toBe(type);
  return bytes;
}
