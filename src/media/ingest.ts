import type { Actor } from '../accounts/authenticate.ts';
import { planNamed } from '../accounts/plans.ts';
import type { SignedLinks } from '../accounts/signed-links.ts';
import { quotaMonth, uploadsThisMonth } from '../accounts/usage.ts';
import type { BlobStore } from '../blobs/blobs.ts';
import type { Config } from '../config/config.ts';
import { AppError } from '../errors/app-error.ts';
import type { ImageLimits } from '../imaging/index.ts';
import { probeImage } from '../imaging/index.ts';
import type { Log } from '../lib/log.ts';
import type { RateLimiter } from '../limiter/limiter.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import { collectGarbage } from './blob-garbage.ts';
import { KNOWN_FIELDS, parseMediaFields } from './media-fields.ts';
import {
  announceBlob,
  claimBlob,
  insertMediaRow,
  type MediaRow,
  newMediaId,
  newMediaToken,
  originalKey,
} from './media-repo.ts';
import { mediaView } from './media-view.ts';
import { NO_LEVELS, requestPyramid } from './pyramid-job.ts';
import { chargeUpload, quotaExceeded } from './quotas.ts';
import { initialExpiry } from './retention.ts';

export interface IngestDeps {
  config: Pick<
    Config,
    | 'publicUrl'
    | 'srcBase'
    | 'docsUrl'
    | 'plans'
    | 'billingUrl'
    | 'dashboardUrl'
    | 'anonPerHour'
    | 'anonPerDay'
    | 'anonRetentionDays'
    | 'unverifiedRetentionDays'
    | 'maxSvgMb'
  >;
  store: Store;
  blobs: BlobStore;
  links: SignedLinks;
  limiter: RateLimiter;
  logger: Log;
  imageLimits: ImageLimits;
  queue: JobQueue;
}

export interface IngestInput {
  principal: Actor | undefined;
  clientIp: string;
  /** A local temp file holding the bytes as received; the caller removes it afterwards. */
  file: { path: string; size: number };
  fields: Record<string, unknown>;
  /** Text fields that are not media fields (multipart), kept as metadata. */
  extraMetadata?: Record<string, string>;
  defaultName: string;
  /** `upload_failed` for uploads, `import_failed` for URL imports. */
  failure: 'upload_failed' | 'import_failed';
}

const MB = 1024 * 1024;

/** Refuses early, before any byte is read, when the month's upload quota is used up. */
export async function precheckQuota(deps: IngestDeps, principal: Actor): Promise<void> {
  const plan = planNamed(deps.config.plans, principal.account.plan);
  const used = await uploadsThisMonth(deps.store.db, principal.account.id, quotaMonth().month);
  if (used >= plan.uploadsPerMonth) throw quotaExceeded(deps, principal.account, used, 'uploads');
}

/** Splits multipart text fields into media fields and free-form metadata (docs/api.md §2.2). */
export function splitUploadFields(fields: Record<string, string>) {
  const known: Record<string, unknown> = {};
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (KNOWN_FIELDS.has(key)) known[key] = value;
    else extra[key] = value;
  }
  return { known, extra };
}

/**
 * Turns received bytes into stored media: validate fields, probe the image (limits before decoding), write the
 * original atomically, then insert the row and charge the quota in one transaction. The blob is announced before
 * it is written, so a crash at any point leaves either a complete media or a marker the sweeper cleans up.
 */
export async function ingest(deps: IngestDeps, input: IngestInput) {
  const fields = parseMediaFields(input.fields, { mode: 'create', extraMetadata: input.extraMetadata ?? {} });
  const probe = await probeImage(input.file.path, { limits: deps.imageLimits });
  if (!probe.ok) throw new AppError(input.failure, { message: probe.message });
  if (probe.format === 'svg' && input.file.size > deps.config.maxSvgMb * MB) {
    throw new AppError(input.failure, {
      message: `File too large: ${(input.file.size / MB).toFixed(2)} MB. Maximum SVG size is ${deps.config.maxSvgMb} MB.`,
    });
  }

  const { principal } = input;
  const now = Date.now();
  const id = newMediaId();
  const blobKey = originalKey(id);
  const row: MediaRow = {
    id,
    account_id: principal?.account.id ?? null,
    environment: principal?.key.environment ?? 'live',
    token: newMediaToken(),
    name: fields.name ?? input.defaultName,
    format: probe.format,
    width: probe.width,
    height: probe.height,
    frames: probe.frames,
    filesize: input.file.size,
    blob_key: blobKey,
    namespace: fields.namespace ?? null,
    tags: JSON.stringify(fields.tags ?? []),
    public: fields.public === false ? 0 : 1,
    date: fields.date ?? null,
    metadata: JSON.stringify(fields.metadata ?? {}),
    ...initialExpiry(deps.config, principal, fields.ttl ?? undefined, now),
    client_ip: principal ? null : input.clientIp,
    created_at: now,
    updated_at: now,
    // Transparency cannot go into a JPEG level: such a source is settled now, not by a job.
    levels: probe.hasAlpha ? NO_LEVELS : 0,
  };

  await announceBlob(deps.store.db, blobKey);
  try {
    await deps.blobs.put(blobKey, { file: input.file.path });
  } catch (error) {
    deps.logger.error({ err: error, media_id: id }, 'storing original failed');
    await collectGarbage(deps, [blobKey]);
    throw new AppError(input.failure, {
      message: input.failure === 'upload_failed' ? 'Upload failed' : 'Import failed',
    });
  }
  try {
    await deps.store.transaction(async (tx) => {
      if (principal) {
        // One account's uploads are charged one at a time, so the storage check sees every earlier upload.
        const account = await deps.store
          .forUpdate(tx.selectFrom('accounts').selectAll().where('id', '=', principal.account.id))
          .executeTakeFirstOrThrow();
        await chargeUpload(deps, tx, account, input.file.size);
      }
      await insertMediaRow(tx, row);
      await claimBlob(tx, blobKey);
    });
  } catch (error) {
    await collectGarbage(deps, [blobKey]);
    if (error instanceof AppError) throw error;
    deps.logger.error({ err: error, media_id: id }, 'recording media failed');
    throw new AppError(input.failure, {
      message: input.failure === 'upload_failed' ? 'Upload failed' : 'Import failed',
    });
  }

  await requestPyramid(deps, row);
  const view = mediaView(deps.config, row);
  if (principal) return view;
  return {
    ...view,
    upgrade: {
      type: 'register' as const,
      url: deps.config.docsUrl,
      message: `Anonymous uploads expire after ${deps.config.anonRetentionDays} days. Create a free API key (POST /v1/keys) to keep your images.`,
      label: 'Get a free API key',
    },
  };
}
