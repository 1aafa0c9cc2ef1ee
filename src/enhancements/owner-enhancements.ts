import type { Account } from '../accounts/accounts-store.ts';
import type { Environment } from '../accounts/api-key-format.ts';
import type { Config } from '../config/config.ts';
import { AppError } from '../errors/app-error.ts';
import { itemErrorCatalog } from '../errors/catalog.ts';
import { deliveryExtension, type ImageFormat } from '../imaging/index.ts';
import { MINUTE_MS } from '../lib/time.ts';
import type { RateLimiter } from '../limiter/limiter.ts';
import { expired } from '../media/media-queries.ts';
import { srcUrl } from '../media/media-urls.ts';
import type { EnhancementStatus } from '../store/database.ts';
import { type CreateDeps, createEnhancement } from './create-enhancement.ts';
import { getEnhancement, listEnhancements } from './enhancement-reads.ts';
import type { PreservationLevel, PresetId } from './presets.ts';

/**
 * Enhancements of an owner signed in to the dashboard (docs/web.md). A batch always belongs to a key, as in the
 * API: the owner picks one of their active keys, and its environment decides test (sandbox: free, built-in
 * pipeline) or live (paid credits of the account); the batch counts against that key's active limit, and its
 * webhooks are signed with that key's secrets. Creation is `createEnhancement` itself, with an idempotency key the
 * page makes once per submitted form, so a double click or a retried request makes one batch.
 */
export type OwnerEnhancementDeps = CreateDeps & {
  config: Pick<Config, 'srcBase' | 'createsPerMinute'>;
  limiter: RateLimiter;
};

export interface OwnerCreateInput {
  key_id: string;
  /** Source images by URL … */
  urls?: string[];
  /** … or from the media library (ids of the key's environment): sent as their `src` URL. */
  media_ids?: string[];
  preset?: PresetId;
  preservation_level?: PreservationLevel;
  instructions?: string;
  webhook_url?: string;
  idempotency_key: string;
}

/** At most this many images per batch, as `POST /api/v1/product-image-enhancements`. */
export const MAX_BATCH_IMAGES = 20;
/** The formats the enhancement fetcher accepts as sources; other media are sent as their WebP rendition. */
const SOURCE_EXTENSIONS = new Set(['jpg', 'png', 'webp']);

// `not_found` (shared by every envelope): the batch's page answers it as a 404 page too.
const notFound = () => new AppError('not_found', { message: 'Enhancement not found.' });

/** An owner's key that may make a batch now: active, unexpired, on an account whose keys work. */
async function usableKey(deps: OwnerEnhancementDeps, account: Account, keyId: string) {
  const key = await deps.store.db
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', keyId)
    .where('account_id', '=', account.id)
    .executeTakeFirst();
  if (!key) throw new AppError('not_found', { message: 'Key not found.' });
  if (key.status === 'revoked') throw new AppError('api_key_revoked');
  if (key.status !== 'active') throw new AppError('api_key_inactive');
  if (key.expires_at !== null && key.expires_at <= Date.now()) throw new AppError('api_key_expired');
  if (account.suspended) throw new AppError('account_suspended');
  if (account.payment_risk) throw new AppError('payment_risk_restricted');
  if (key.environment === 'live' && !account.email_verified) throw new AppError('email_not_verified');
  return key;
}

/** The `src` URLs of library media: the owner's, unexpired, in the key's environment, in the order given. */
async function librarySources(
  deps: OwnerEnhancementDeps,
  account: Account,
  environment: Environment,
  ids: readonly string[],
) {
  if (ids.length === 0) return [];
  // By primary key alone; the owner and environment are checked on the rows (a planner may otherwise walk the
  // account's list index).
  const rows = await deps.store.db
    .selectFrom('media')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
  return ids.map((id) => {
    const row = rows.find((r) => r.id === id && r.account_id === account.id && r.environment === environment);
    if (!row || expired(row)) {
      throw new AppError('invalid_payload', {
        message: `Media ${id} is not in this account's ${environment} library.`,
        errors: { media_ids: [`${id} not found in the ${environment} library`] },
      });
    }
    const ext = deliveryExtension(row.format as ImageFormat);
    return {
      source_url: srcUrl(deps.config.srcBase, row, SOURCE_EXTENSIONS.has(ext) ? ext : 'webp'),
      external_id: row.id,
    };
  });
}

/** Per key, as the API: `LIGHTBOX_ENHANCEMENT_CREATES_PER_MINUTE` creations a minute, shared with API calls. */
async function spendCreate(deps: OwnerEnhancementDeps, keyId: string): Promise<void> {
  const rule = { limit: deps.config.createsPerMinute, periodMs: MINUTE_MS };
  const decision = await deps.limiter.hit(`enh:create:${keyId}`, rule);
  if (!decision.allowed) {
    throw new AppError('rate_limit_exceeded', { retryAfter: decision.retryAfter });
  }
}

/** What a failed item's person should do: the published handling of its code. */
const handlingOf = (code: string | null): string | null =>
  code && code in itemErrorCatalog ? itemErrorCatalog[code as keyof typeof itemErrorCatalog].handling : null;

export const ownerEnhancements = {
  list: (
    deps: OwnerEnhancementDeps,
    account: Account,
    query: { environment: Environment; limit: number; cursor?: string; status?: EnhancementStatus },
  ) => {
    const { environment, ...page } = query;
    return listEnhancements({ db: deps.store.db }, { account, key: { environment } }, page);
  },

  /**
   * One batch with its items, in whichever environment it is, and what the dashboard shows besides: the key it
   * belongs to, its webhook URL, and each failed item's published handling.
   */
  async get(deps: OwnerEnhancementDeps, account: Account, id: string) {
    const row = /^[0-9a-f-]{36}$/i.test(id)
      ? await deps.store.db
          .selectFrom('enhancements as e')
          .leftJoin('api_keys as k', 'k.id', 'e.key_id')
          .select([
            'e.environment',
            'e.webhook_url',
            'e.instructions',
            'k.name as key_name',
            'k.hint as key_hint',
          ])
          .where('e.id', '=', id.toLowerCase())
          .where('e.account_id', '=', account.id)
          .executeTakeFirst()
      : undefined;
    if (!row) throw notFound();
    const { enhancement } = await getEnhancement(
      { db: deps.store.db, srcBase: deps.config.srcBase },
      { account, key: { environment: row.environment } },
      id,
    );
    return {
      enhancement: {
        ...enhancement,
        environment: row.environment,
        webhook_url: row.webhook_url,
        instructions: row.instructions,
        key: row.key_name === null ? null : { name: row.key_name, hint: row.key_hint },
        items: enhancement.items.map((item) => ({ ...item, error_handling: handlingOf(item.error_code) })),
      },
    };
  },

  /** Keys a batch can be made with now, newest first (the form's choice). */
  async keys(deps: Pick<OwnerEnhancementDeps, 'store'>, account: Account, now = Date.now()) {
    const rows = await deps.store.db
      .selectFrom('api_keys')
      .select(['id', 'name', 'hint', 'environment', 'expires_at'])
      .where('account_id', '=', account.id)
      .where('status', '=', 'active')
      .orderBy('created_at', 'desc')
      .execute();
    return rows
      .filter((k) => k.expires_at === null || k.expires_at > now)
      .map((k) => ({ key_id: k.id, name: k.name, hint: k.hint, environment: k.environment }));
  },

  async create(deps: OwnerEnhancementDeps, account: Account, input: OwnerCreateInput, requestId: string) {
    const key = await usableKey(deps, account, input.key_id);
    const urls = (input.urls ?? []).map((u) => u.trim()).filter(Boolean);
    const ids = [...new Set(input.media_ids ?? [])];
    const count = urls.length + ids.length;
    if (count === 0 || count > MAX_BATCH_IMAGES) {
      throw new AppError('invalid_payload', {
        message: `A batch has 1 to ${MAX_BATCH_IMAGES} images; this one has ${count}.`,
        errors: { images: [`1 to ${MAX_BATCH_IMAGES} images`] },
      });
    }
    const images = [
      ...urls.map((source_url) => ({ source_url })),
      ...(await librarySources(deps, account, key.environment, ids)),
    ];
    await spendCreate(deps, key.id);
    const result = await createEnhancement(
      deps,
      { account, key },
      {
        body: {
          images,
          ...(input.preset ? { preset: input.preset } : {}),
          ...(input.preservation_level ? { preservation_level: input.preservation_level } : {}),
          ...(input.instructions ? { instructions: input.instructions } : {}),
          ...(input.webhook_url ? { webhook_url: input.webhook_url } : {}),
        },
        idempotencyKey: input.idempotency_key,
        requestId,
      },
    );
    return { ...result.body, replayed: result.replayed };
  },
};
