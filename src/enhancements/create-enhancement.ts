import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { Principal } from '../accounts/authenticate.ts';
import type { Config } from '../config/config.ts';
import { releaseCredits, reserveCredits } from '../credits/ledger.ts';
import { AppError } from '../errors/app-error.ts';
import type { SafeFetcher } from '../fetcher/index.ts';
import { sortableId } from '../lib/ids.ts';
import type { Log } from '../lib/log.ts';
import type { Metrics } from '../lib/metrics.ts';
import { type JobQueue, jobSpec } from '../queue/queue.ts';
import type { EnhancementItemsTable, EnhancementsTable } from '../store/database.ts';
import type { Store, Tx } from '../store/store.ts';
import { canonicalHash } from './canonical-json.ts';
import {
  DEFAULT_PRESERVATION_LEVEL,
  DEFAULT_PRESET,
  type PreservationLevel,
  type PresetId,
} from './presets.ts';

export interface CreateBody {
  images: { source_url: string; external_id?: string }[];
  preset?: PresetId;
  preservation_level?: PreservationLevel;
  instructions?: string;
  webhook_url?: string;
}

export interface CreateDeps {
  config: Pick<
    Config,
    'apiMinLifetimePurchased' | 'creditsPerImage' | 'activePerKey' | 'activePerAccount' | 'contentPolicy'
  >;
  store: Store;
  queue: JobQueue;
  fetcher: SafeFetcher;
  logger: Log;
  metrics: Metrics;
}

/** The create answer (docs/api.md §3.2), stored with the idempotency record and replayed unchanged. */
export interface CreateResponse {
  enhancement: {
    id: string;
    status: 'queued';
    total_items: number;
    credits_reserved: number;
    sandbox: boolean;
  };
  remaining_paid_credits: number;
  request_id: string;
}

export interface CreateResult {
  status: 200 | 201;
  replayed: boolean;
  body: CreateResponse;
  location: string;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,160}$/;
const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/**
 * `response_status` of a record whose create has committed but whose start job is not queued yet. If queueing fails
 * the create is undone (503), so until then a duplicate must not be told the batch exists: it waits.
 */
const PENDING = 0;
/**
 * A record still pending after this long belongs to a request that died between its commit and its enqueue (the
 * enqueue is bounded at seconds): its batch exists and the maintenance sweep queues it, so duplicates replay it.
 */
const PENDING_GRACE_MS = 10_000;
const PENDING_POLL_MS = 50;
/** What the transaction returns to a duplicate that must wait for the request ahead of it. */
const WAIT = Symbol('wait for the pending create');
export const START_JOB = jobSpec({
  name: 'enhancement.start',
  payload: Type.Object({ enhancementId: Type.String({ maxLength: 64 }) }),
});

/**
 * `POST /api/v1/product-image-enhancements` (docs/api.md §3.2), after auth and schema validation. Checks run in the
 * documented order; everything from idempotency to the reservation happens in one transaction under the account's
 * row lock, so concurrent duplicates make one enhancement and the balance can never be overdrawn.
 */
export async function createEnhancement(
  deps: CreateDeps,
  principal: Principal,
  input: { body: CreateBody; idempotencyKey: string | undefined; requestId: string },
): Promise<CreateResult> {
  const { body } = input;
  await checkWebhookUrl(deps, body.webhook_url);
  if (
    body.instructions !== undefined &&
    deps.config.contentPolicy.some((rule) => rule.test(body.instructions ?? ''))
  ) {
    throw new AppError('content_policy_violation');
  }
  if (input.idempotencyKey === undefined || !IDEMPOTENCY_KEY.test(input.idempotencyKey)) {
    throw new AppError('invalid_idempotency_key');
  }
  const idempotencyKey = input.idempotencyKey;
  const bodyHash = canonicalHash(body);
  const sandbox = principal.key.environment === 'test';
  const cost = sandbox ? 0 : body.images.length * deps.config.creditsPerImage;
  const id = randomUUID();

  let outcome = await attempt();
  // Bounded: a record stops making duplicates wait once it is PENDING_GRACE_MS old.
  while (outcome === WAIT) {
    await new Promise((resolve) => setTimeout(resolve, PENDING_POLL_MS));
    outcome = await attempt();
  }
  if (outcome.replayed) return outcome;

  try {
    await deps.queue.enqueue(START_JOB, { enhancementId: id }, { dedupeKey: id });
  } catch (error) {
    deps.logger.error({ err: error, enhancement_id: id }, 'enqueue failed; releasing the reservation');
    await undoCreation(deps, principal, id, idempotencyKey, cost);
    deps.metrics.creditsMoved('reserved', cost);
    deps.metrics.creditsMoved('released', cost);
    throw new AppError('queue_unavailable');
  }
  await confirmRecord(deps, principal, idempotencyKey);
  deps.metrics.creditsMoved('reserved', cost);
  deps.logger.info(
    {
      enhancement_id: id,
      request_id: input.requestId,
      items: body.images.length,
      credits_reserved: cost,
      sandbox,
    },
    'enhancement created',
  );
  return outcome;

  function attempt(): Promise<CreateResult | typeof WAIT> {
    const now = Date.now();
    return deps.store.transaction(async (tx) => {
      const account = await deps.store
        .forUpdate(tx.selectFrom('accounts').selectAll().where('id', '=', principal.account.id))
        .executeTakeFirstOrThrow();

      const replay = await findReplay(tx, principal, idempotencyKey, bodyHash, now);
      if (replay) return replay;

      if (!sandbox) {
        if (Number(account.lifetime_purchased) < deps.config.apiMinLifetimePurchased) {
          throw new AppError('api_access_not_enabled', {
            message: `Live API access requires at least ${deps.config.apiMinLifetimePurchased} purchased credits.`,
          });
        }
        if (Number(account.paid_available) < cost) {
          throw new AppError('insufficient_api_credits', {
            message: `This batch needs ${cost} paid credits; ${account.paid_available} are available.`,
          });
        }
      }
      await checkActiveLimit(deps, tx, principal);

      const enhancement: EnhancementsTable = {
        id,
        account_id: principal.account.id,
        key_id: principal.key.id,
        environment: principal.key.environment,
        status: 'queued',
        preset: body.preset ?? DEFAULT_PRESET,
        preservation_level: body.preservation_level ?? DEFAULT_PRESERVATION_LEVEL,
        instructions: body.instructions ?? null,
        webhook_url: body.webhook_url ?? null,
        signing_key_hash: principal.key.key_hash,
        total_items: body.images.length,
        completed_items: 0,
        failed_items: 0,
        items_with_warnings: 0,
        credits_reserved: cost,
        credits_used: 0,
        sandbox: sandbox ? 1 : 0,
        request_id: input.requestId,
        seq: sortableId('enh'),
        created_at: now,
        updated_at: now,
        completed_at: null,
      };
      await tx.insertInto('enhancements').values(enhancement).execute();
      const perItem = sandbox ? 0 : deps.config.creditsPerImage;
      const items: EnhancementItemsTable[] = body.images.map((image, position) => ({
        id: randomUUID(),
        enhancement_id: id,
        position,
        external_id: image.external_id ?? null,
        source_url: image.source_url,
        status: 'queued',
        result_media_id: null,
        thumbnail_media_id: null,
        error_code: null,
        error_message: null,
        provider: null,
        credits_reserved: perItem,
        credits_used: 0,
        attempts: 0,
        created_at: now,
        updated_at: now,
        warnings: '[]',
      }));
      await tx.insertInto('enhancement_items').values(items).execute();

      let remaining = 0;
      if (!sandbox) {
        remaining = Number(account.paid_available);
        // A free batch (LIGHTBOX_CREDITS_PER_IMAGE=0) reserves nothing: reserveCredits has no entry to write then.
        if (cost > 0) {
          const reserved = await reserveCredits(tx, {
            accountId: account.id,
            amount: cost,
            enhancementId: id,
          });
          if (!reserved) throw new AppError('insufficient_api_credits');
          remaining = reserved.balance_after;
        }
      }
      const response: CreateResponse = {
        enhancement: { id, status: 'queued', total_items: items.length, credits_reserved: cost, sandbox },
        remaining_paid_credits: remaining,
        request_id: input.requestId,
      };
      await tx
        .insertInto('idempotency_records')
        .values({
          account_id: principal.account.id,
          environment: principal.key.environment,
          idempotency_key: idempotencyKey,
          body_hash: bodyHash,
          response_status: PENDING,
          response_body: JSON.stringify(response),
          created_at: now,
          expires_at: now + IDEMPOTENCY_TTL_MS,
        })
        .execute();
      return { status: 201 as const, replayed: false, body: response, location: locationOf(id) };
    });
  }
}

/** The batch is queued: duplicates may now replay it. If this write fails they replay it after the grace. */
async function confirmRecord(deps: CreateDeps, principal: Principal, idempotencyKey: string): Promise<void> {
  try {
    await deps.store.db
      .updateTable('idempotency_records')
      .set({ response_status: 201 })
      .where('account_id', '=', principal.account.id)
      .where('environment', '=', principal.key.environment)
      .where('idempotency_key', '=', idempotencyKey)
      .where('response_status', '=', PENDING)
      .execute();
  } catch (error) {
    deps.logger.warn({ err: error, idempotency_key: idempotencyKey }, 'idempotency record not confirmed');
  }
}

const locationOf = (id: string) => `/api/v1/product-image-enhancements/${id}`;

async function findReplay(
  tx: Tx,
  principal: Principal,
  idempotencyKey: string,
  bodyHash: string,
  now: number,
): Promise<CreateResult | typeof WAIT | null> {
  const record = await tx
    .selectFrom('idempotency_records')
    .selectAll()
    .where('account_id', '=', principal.account.id)
    .where('environment', '=', principal.key.environment)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
  if (!record) return null;
  if (Number(record.expires_at) <= now) {
    await tx
      .deleteFrom('idempotency_records')
      .where('account_id', '=', record.account_id)
      .where('environment', '=', record.environment)
      .where('idempotency_key', '=', record.idempotency_key)
      .execute();
    return null;
  }
  if (record.body_hash !== bodyHash) throw new AppError('idempotency_conflict');
  if (Number(record.response_status) === PENDING && now - Number(record.created_at) < PENDING_GRACE_MS)
    return WAIT;
  const body = JSON.parse(record.response_body) as CreateResponse;
  return { status: 200, replayed: true, body, location: locationOf(body.enhancement.id) };
}

async function checkActiveLimit(deps: CreateDeps, tx: Tx, principal: Principal): Promise<void> {
  const active = await tx
    .selectFrom('enhancements')
    .select(['key_id'])
    .where('account_id', '=', principal.account.id)
    .where('environment', '=', principal.key.environment)
    .where('status', 'in', ['queued', 'processing'])
    .execute();
  const forKey = active.filter((e) => e.key_id === principal.key.id).length;
  if (forKey >= deps.config.activePerKey || active.length >= deps.config.activePerAccount) {
    throw new AppError('too_many_active_enhancements', {
      message: `At most ${deps.config.activePerKey} active enhancement(s) per key and ${deps.config.activePerAccount} per account. Wait for one to finish.`,
    });
  }
}

/** The job could not be queued: the enhancement never existed for the client, and its credits go back. */
async function undoCreation(
  deps: CreateDeps,
  principal: Principal,
  id: string,
  idempotencyKey: string,
  cost: number,
): Promise<void> {
  await deps.store.transaction(async (tx) => {
    if (cost > 0)
      await releaseCredits(tx, { accountId: principal.account.id, amount: cost, enhancementId: id });
    await tx
      .deleteFrom('idempotency_records')
      .where('account_id', '=', principal.account.id)
      .where('environment', '=', principal.key.environment)
      .where('idempotency_key', '=', idempotencyKey)
      .execute();
    await tx.deleteFrom('enhancements').where('id', '=', id).execute();
  });
}

async function checkWebhookUrl(deps: CreateDeps, url: string | undefined): Promise<void> {
  if (url === undefined) return;
  const check = await deps.fetcher.checkUrl(url, { httpsOnly: true });
  if (!check.ok)
    throw new AppError('invalid_webhook_url', {
      message: `webhook_url must be a public HTTPS URL (${check.message}).`,
    });
}
