import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { VerificationHook } from '../accounts/link-actions.ts';
import { createSignedLinks, type SignedLinks } from '../accounts/signed-links.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import { createFsBlobStore } from '../blobs/fs-blobs.ts';
import type { Config } from '../config/config.ts';
import { SafeFetcher } from '../fetcher/index.ts';
import type { ImageLimits } from '../imaging/image-limits.ts';
import type { RateLimiter } from '../limiter/limiter.ts';
import { createMemoryLimiter } from '../limiter/memory-limiter.ts';
import type { Mailer } from '../mail/mailer.ts';
import { createOutboxMailer } from '../mail/outbox-mailer.ts';
import { liftUnverifiedRetention } from '../media/retention-sweeper.ts';
import { openStore, type Store } from '../store/store.ts';
import type { Logger } from './logger.ts';
import { loadSecrets, type Secrets } from './secrets.ts';

export interface Services {
  config: Readonly<Config>;
  logger: Logger;
  secrets: Secrets;
  store: Store;
  blobs: BlobStore;
  fetcher: SafeFetcher;
  limiter: RateLimiter;
  mailer: Mailer;
  imageLimits: ImageLimits;
  /** Scratch space for uploads and imports on their way into the blob store. */
  tmpDir: string;
  links: SignedLinks;
  /** Idempotent follow-ups of an email verification, registered by the domains that care. */
  onEmailVerified: VerificationHook[];
  /** What `/readyz` probes: every backend the server needs to answer. */
  readiness: Record<string, () => Promise<void>>;
  close(): Promise<void>;
}

/** The composition root: the one place that picks a backend for each port. */
export async function composeServices(config: Readonly<Config>, logger: Logger): Promise<Services> {
  const secrets = await loadSecrets(config);
  const store = await openStore(config.database);
  const blobs = await createFsBlobStore(path.join(config.dataDir, 'blobs'));
  const fetcher = new SafeFetcher({ allowCidrs: config.fetchAllowCidrs });
  const limiter = createMemoryLimiter();
  const tmpDir = path.join(config.dataDir, 'tmp');
  // Whatever a crashed process left here was never recorded anywhere: it is garbage.
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  const mailer = createOutboxMailer(store, logger);
  const links = createSignedLinks({
    secret: secrets.secret,
    publicUrl: config.publicUrl,
    ttlSeconds: config.linkTtlSeconds,
  });
  return {
    config,
    logger,
    secrets,
    store,
    blobs,
    fetcher,
    limiter,
    mailer,
    imageLimits: {
      maxPixels: config.maxPixels,
      maxFrames: config.maxFrames,
      maxAnimationPixels: Math.max(config.maxPixels, 5 * config.maxPixels),
      maxSvgBytes: config.maxSvgMb * 1024 * 1024,
      timeoutSeconds: 60,
    },
    tmpDir,
    links,
    onEmailVerified: [(accountId) => liftUnverifiedRetention(store, accountId)],
    readiness: { store: () => store.ping(), blobs: () => blobs.ping() },
    async close() {
      await limiter.close();
      await store.close();
    },
  };
}
