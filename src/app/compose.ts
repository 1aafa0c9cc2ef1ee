import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { VerificationHook } from '../accounts/link-actions.ts';
import { createSignedLinks, type SignedLinks } from '../accounts/signed-links.ts';
import type { BlobStore } from '../blobs/blob-store.ts';
import { createFsBlobStore } from '../blobs/fs-blobs.ts';
import type { Config } from '../config/config.ts';
import { createRenditionStats, type RenditionStats } from '../delivery/rendition-limits.ts';
import { type EnhancementEventSink, noEvents } from '../enhancements/enhancement-events.ts';
import type { Enhancer } from '../enhancements/enhancer.ts';
import { SafeFetcher } from '../fetcher/index.ts';
import { createEnhancer, type HttpFetch } from '../imaging/enhance/index.ts';
import type { ImageLimits } from '../imaging/image-limits.ts';
import type { RateLimiter } from '../limiter/limiter.ts';
import { createMemoryLimiter } from '../limiter/memory-limiter.ts';
import type { Mailer } from '../mail/mailer.ts';
import { createOutboxMailer } from '../mail/outbox-mailer.ts';
import type { MailTransport } from '../mail/smtp-transport.ts';
import { createMediaChanges, type MediaChanges } from '../media/media-changes.ts';
import { liftUnverifiedRetention } from '../media/retention-sweeper.ts';
import type { JobCatalog } from '../queue/job-catalog.ts';
import type { JobQueue } from '../queue/queue.ts';
import { createSqlJobQueue } from '../queue/sql-queue.ts';
import { openStore, type Store } from '../store/store.ts';
import { createWebhookSink } from '../webhooks/webhook-sink.ts';
import { buildJobCatalog } from './jobs.ts';
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
  /** Set when mail is delivered by SMTP (the `mail.deliver` job uses it); null: mail stays in the outbox. */
  mailTransport: MailTransport | null;
  imageLimits: ImageLimits;
  /** Scratch space for uploads and imports on their way into the blob store. */
  tmpDir: string;
  links: SignedLinks;
  queue: JobQueue;
  /** The configured provider chain (live keys). */
  enhancer: Enhancer;
  /** The built-in pipeline (sandbox keys). */
  sandboxEnhancer: Enhancer;
  events: EnhancementEventSink;
  /** Idempotent follow-ups of an email verification, registered by the domains that care. */
  onEmailVerified: VerificationHook[];
  /** Media rows changed or deleted in this process (caches of rows listen). */
  mediaChanges: MediaChanges;
  /** Counters of the bounded rendition cache in this process (delivery/rendition-limits.ts). */
  renditionStats: RenditionStats;
  /** What `/readyz` probes: every backend the server needs to answer. */
  readiness: Record<string, () => Promise<void>>;
  close(): Promise<void>;
}

/** The composition root: the one place that picks a backend for each port. */
export async function composeServices(config: Readonly<Config>, logger: Logger): Promise<Services> {
  const secrets = await loadSecrets(config);
  const store = await openStore(config.database);
  const blobs = await openBlobs(config);
  const fetcher = new SafeFetcher({
    allowCidrs: config.fetchAllowCidrs,
    ...(config.fetchExtraCaFile ? { extraCa: [await readFile(config.fetchExtraCaFile, 'utf8')] } : {}),
  });
  const limiter = await openLimiter(config, logger);
  const tmpDir = path.join(config.dataDir, 'tmp');
  // Whatever a crashed process left here was never recorded anywhere: it is garbage.
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  const mail = await openMail(config, store, logger, () => services.queue);
  const enhancer = createEnhancer({
    providers: config.enhanceProviders,
    modelPath: config.segmentationModel,
    httpUrl: config.enhanceHttpUrl,
    httpFetch: providerFetch(fetcher),
    timeoutMs: config.enhanceTimeoutSeconds * 1000,
    onnxConcurrency: config.onnxConcurrency,
    onnxThreads: config.onnxThreads,
  });
  const sandboxEnhancer =
    config.enhanceProviders.length === 1 && config.enhanceProviders[0] === 'classical'
      ? enhancer
      : createEnhancer({
          providers: ['classical'],
          timeoutMs: config.enhanceTimeoutSeconds * 1000,
          onnxConcurrency: 1,
          onnxThreads: 1,
        });
  const links = createSignedLinks({
    secret: secrets.secret,
    publicUrl: config.publicUrl,
    ttlSeconds: config.linkTtlSeconds,
  });
  const services: Services = {
    config,
    logger,
    secrets,
    store,
    blobs,
    fetcher,
    limiter,
    mailer: mail.mailer,
    mailTransport: mail.transport,
    imageLimits: {
      maxPixels: config.maxPixels,
      maxFrames: config.maxFrames,
      maxAnimationPixels: Math.max(config.maxPixels, 5 * config.maxPixels),
      maxSvgBytes: config.maxSvgMb * 1024 * 1024,
      timeoutSeconds: 60,
    },
    tmpDir,
    links,
    // Set right below: the catalog's handlers need the finished services object.
    queue: undefined as unknown as JobQueue,
    enhancer,
    sandboxEnhancer,
    events: noEvents,
    onEmailVerified: [(accountId) => liftUnverifiedRetention(store, accountId)],
    mediaChanges: createMediaChanges(),
    renditionStats: createRenditionStats(),
    readiness: { store: () => store.ping(), blobs: () => blobs.ping(), queue: () => services.queue.ping() },
    async close() {
      await services.queue.stop();
      await services.queue.close();
      await enhancer.close();
      if (sandboxEnhancer !== enhancer) await sandboxEnhancer.close();
      await limiter.close();
      await mail.transport?.close();
      await blobs.close?.();
      await store.close();
    },
  };
  services.events = createWebhookSink({
    store,
    queue: () => services.queue,
    srcBase: config.srcBase,
    logger,
  });
  services.queue = await openQueue(
    config,
    store,
    buildJobCatalog(() => services),
    logger,
  );
  return services;
}

async function openMail(
  config: Readonly<Config>,
  store: Store,
  logger: Logger,
  queue: () => JobQueue,
): Promise<{ mailer: Mailer; transport: MailTransport | null }> {
  const backend: 'outbox' | 'smtp' = config.smtpUrl ? 'smtp' : 'outbox';
  switch (backend) {
    case 'outbox':
      return { mailer: createOutboxMailer(store, logger), transport: null };
    case 'smtp': {
      const [{ createSmtpMailer }, { createSmtpTransport }] = await Promise.all([
        import('../mail/smtp-mailer.ts'),
        import('../mail/smtp-transport.ts'),
      ]);
      return {
        mailer: createSmtpMailer({ store, log: logger, queue }),
        transport: await createSmtpTransport(config.smtpUrl as string, config.mailFrom),
      };
    }
    default: {
      const never: never = backend;
      throw new Error(`unknown mail backend ${String(never)}`);
    }
  }
}

async function openBlobs(config: Readonly<Config>): Promise<BlobStore & { close?(): Promise<void> }> {
  const backend: 'fs' | 's3' = config.s3Bucket ? 's3' : 'fs';
  switch (backend) {
    case 'fs':
      return createFsBlobStore(path.join(config.dataDir, 'blobs'));
    case 's3': {
      const { createS3BlobStore } = await import('../blobs/s3-blobs.ts');
      return createS3BlobStore({
        bucket: config.s3Bucket as string,
        region: config.s3Region,
        forcePathStyle: config.s3ForcePathStyle,
        tmpDir: path.join(config.dataDir, 'tmp'),
        ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
        ...(config.s3AccessKeyId && config.s3SecretAccessKey
          ? { accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey }
          : {}),
      });
    }
    default: {
      const never: never = backend;
      throw new Error(`unknown blob backend ${String(never)}`);
    }
  }
}

async function openLimiter(config: Readonly<Config>, log: Logger): Promise<RateLimiter> {
  const url = config.rateLimitRedisUrl ?? config.redisUrl;
  const backend: 'memory' | 'redis' = url ? 'redis' : 'memory';
  switch (backend) {
    case 'memory':
      return createMemoryLimiter();
    case 'redis': {
      const { createRedisLimiter } = await import('../limiter/redis-limiter.ts');
      // Generous enough for a first connection on a loaded machine; an outage still fails at once (offline).
      return createRedisLimiter({ url: url as string, prefix: config.redisPrefix, log, timeoutMs: 2_000 });
    }
    default: {
      const never: never = backend;
      throw new Error(`unknown limiter backend ${String(never)}`);
    }
  }
}

async function openQueue(
  config: Readonly<Config>,
  store: Store,
  catalog: JobCatalog,
  log: Logger,
): Promise<JobQueue> {
  const backend: 'sql' | 'bullmq' = config.redisUrl ? 'bullmq' : 'sql';
  switch (backend) {
    case 'sql':
      return createSqlJobQueue(store, catalog, { log });
    case 'bullmq': {
      const { createBullmqJobQueue } = await import('../queue/bullmq-queue.ts');
      return createBullmqJobQueue(catalog, {
        url: config.redisUrl as string,
        prefix: config.redisPrefix,
        log,
      });
    }
    default: {
      const never: never = backend;
      throw new Error(`unknown queue backend ${String(never)}`);
    }
  }
}

/** The http segmentation provider's outbound POST, through the safe fetcher like every other request. */
function providerFetch(fetcher: SafeFetcher): HttpFetch {
  return async (url, body, contentType, timeoutMs) => {
    const response = await fetcher.fetch(url, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
      timeoutMs,
      maxRedirects: 0,
      maxBytes: 64 * 1024 * 1024,
      requireOk: false,
    });
    if (!response.ok) throw new Error(response.message);
    const type = response.headers['content-type'];
    return {
      status: response.status,
      contentType: Array.isArray(type) ? (type[0] ?? '') : (type ?? ''),
      body: response.body,
    };
  };
}
