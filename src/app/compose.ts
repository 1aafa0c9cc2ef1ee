import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { VerificationHook } from '../accounts/link-actions.ts';
import { createSignedLinks, type SignedLinks } from '../accounts/signed-links.ts';
import type { BlobStore } from '../blobs/blobs.ts';
import { createFsBlobStore } from '../blobs/fs-blobs.ts';
import type { BlobsConfig, Config, LimiterConfig, MailConfig, QueueConfig } from '../config/config.ts';
import type { RenditionStats } from '../delivery/rendition-limits.ts';
import type { EnhancementEventSink } from '../enhancements/enhancement-events.ts';
import type { Enhancer } from '../enhancements/enhancer.ts';
import { type Resolver, SafeFetcher } from '../fetcher/index.ts';
import { type HttpFetch, ProviderFetchError } from '../imaging/enhance/index.ts';
import type { ImageLimits } from '../imaging/image-limits.ts';
import type { RateLimiter } from '../limiter/limiter.ts';
import { createMemoryLimiter } from '../limiter/memory-limiter.ts';
import type { Mailer } from '../mail/mail.ts';
import { createOutboxMailer } from '../mail/outbox-mail.ts';
import type { MailTransport } from '../mail/smtp-transport.ts';
import { createMediaChanges, type MediaChanges } from '../media/media-changes.ts';
import { liftUnverifiedRetention } from '../media/retention-sweeper.ts';
import type { MetricsRegistry } from '../metrics/metrics-registry.ts';
import type { JobHandlers, JobQueue } from '../queue/queue.ts';
import { createSqlJobQueue } from '../queue/sql-queue.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { createWebhookSink } from '../webhooks/webhook-sink.ts';
import { countRefusals } from './counted-limiter.ts';
import { jobHandlers } from './job-handlers.ts';
import { instrumentJobHandlers } from './job-instrumentation.ts';
import { type AppJob, JOB_SPECS } from './jobs.ts';
import type { Logger } from './logger.ts';
import { createProcessMetrics } from './process-metrics.ts';
import { loadSecrets, type Secrets } from './secrets.ts';
import { type ComponentHealth, setUpSegmentation } from './segmentation-setup.ts';

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
  /** Created with every job spec (jobs.ts): any process can enqueue any job. */
  queue: JobQueue<AppJob>;
  /** What workers run (`queue.start`, background.ts); built in every process, started only by workers. */
  jobHandlers: JobHandlers<AppJob>;
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
  /** This process's Prometheus registry (`/metrics`); domain modules see it as the `Metrics` slice. */
  metrics: MetricsRegistry;
  /** What `/readyz` probes: every backend the server needs to answer. */
  readiness: Record<string, () => Promise<void>>;
  /** What `/readyz` also reports, without it making the server unready (segmentation, when a model is in use). */
  advisories: Record<string, () => ComponentHealth>;
  close(): Promise<void>;
}

/**
 * The composition root: the one place that picks a backend for each port. Two phases: the infrastructure first
 * (each port from its `config.<port>.kind`; the queue needs only the job specs, no handler), then the domain
 * modules and job handlers from those plain values.
 */
/** What tests may replace at composition, and nothing else: every backend comes from the config. */
export interface CompositionSeams {
  /** How the safe fetcher resolves host names (default: the system resolver). */
  resolver?: Resolver;
}

export async function composeServices(
  config: Readonly<Config>,
  logger: Logger,
  seams: CompositionSeams = {},
): Promise<Services> {
  // Phase 1: infrastructure.
  const secrets = await loadSecrets(config);
  const store = await openStore(config.database);
  const tmpDir = path.join(config.dataDir, 'tmp');
  const blobs = await openBlobs(config.blobs, tmpDir);
  const fetcher = new SafeFetcher({
    allowCidrs: config.fetchAllowCidrs,
    ...(seams.resolver ? { resolver: seams.resolver } : {}),
    ...(config.fetchExtraCaFile ? { extraCa: [await readFile(config.fetchExtraCaFile, 'utf8')] } : {}),
  });
  const rawLimiter = await openLimiter(config.limiter, logger);
  // Whatever a crashed process left here was never recorded anywhere: it is garbage.
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  const queue = await openQueue(config, store, logger);
  const { metrics, renditionStats, close: closeMetrics } = createProcessMetrics({ store, queue, logger });
  const limiter = countRefusals(rawLimiter, (limit) => metrics.rateLimited(limit));
  const mail = await openMail(config.mail, store, logger, queue);
  const segmentation = await setUpSegmentation(config, logger, providerFetch(fetcher));
  const { enhancer, sandboxEnhancer } = segmentation;

  // Phase 2: domain modules, each given only what it uses.
  const links = createSignedLinks({
    secret: secrets.secret,
    publicUrl: config.publicUrl,
    ttlSeconds: config.linkTtlSeconds,
  });
  const events = createWebhookSink({ store, queue, srcBase: config.srcBase, logger });
  const imageLimits: ImageLimits = {
    maxPixels: config.maxPixels,
    maxFrames: config.maxFrames,
    maxAnimationPixels: Math.max(config.maxPixels, 5 * config.maxPixels),
    maxSvgBytes: config.maxSvgMb * 1024 * 1024,
    timeoutSeconds: 60,
  };
  const mediaChanges = createMediaChanges();
  const handlers = jobHandlers({
    config,
    store,
    blobs,
    fetcher,
    queue,
    logger,
    imageLimits,
    mediaChanges,
    enhancer,
    sandboxEnhancer,
    events,
    metrics,
    mailTransport: mail.transport,
  });

  return {
    config,
    logger,
    secrets,
    store,
    blobs,
    fetcher,
    limiter,
    mailer: mail.mailer,
    mailTransport: mail.transport,
    imageLimits,
    tmpDir,
    links,
    queue,
    jobHandlers: instrumentJobHandlers(handlers, { logger, metrics }),
    enhancer,
    sandboxEnhancer,
    events,
    onEmailVerified: [(accountId) => liftUnverifiedRetention(store, accountId)],
    mediaChanges,
    renditionStats,
    metrics,
    readiness: { store: () => store.ping(), blobs: () => blobs.ping(), queue: () => queue.ping() },
    advisories: segmentation.health ? { segmentation: segmentation.health } : {},
    async close() {
      closeMetrics();
      await queue.stop();
      await queue.close();
      await enhancer.close();
      if (sandboxEnhancer !== enhancer) await sandboxEnhancer.close();
      await limiter.close();
      await mail.transport?.close();
      await blobs.close?.();
      await store.close();
    },
  };
}

async function openMail(
  config: MailConfig,
  store: Store,
  logger: Logger,
  queue: JobQueue,
): Promise<{ mailer: Mailer; transport: MailTransport | null }> {
  switch (config.kind) {
    case 'outbox':
      return { mailer: createOutboxMailer(store, logger), transport: null };
    case 'smtp': {
      const [{ createSmtpMailer }, { createSmtpTransport }] = await Promise.all([
        import('../mail/smtp-mail.ts'),
        import('../mail/smtp-transport.ts'),
      ]);
      return {
        mailer: createSmtpMailer({ store, log: logger, queue }),
        transport: await createSmtpTransport(config.url, config.from),
      };
    }
    default:
      return unknownBackend('mail', config);
  }
}

/** The blob store of `config` (also what `lightbox backup` and `restore` read and write). */
export async function openBlobs(
  config: BlobsConfig,
  tmpDir: string,
  options: { cleanTemp?: boolean } = {},
): Promise<BlobStore & { close?(): Promise<void> }> {
  switch (config.kind) {
    case 'fs':
      return createFsBlobStore(config.dir, options);
    case 's3': {
      const { createS3BlobStore } = await import('../blobs/s3-blobs.ts');
      return createS3BlobStore({
        bucket: config.bucket,
        region: config.region,
        forcePathStyle: config.forcePathStyle,
        tmpDir,
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        ...config.credentials,
      });
    }
    default:
      return unknownBackend('blob', config);
  }
}

async function openLimiter(config: LimiterConfig, log: Logger): Promise<RateLimiter> {
  switch (config.kind) {
    case 'memory':
      return createMemoryLimiter();
    case 'redis': {
      const { createRedisLimiter } = await import('../limiter/redis-limiter.ts');
      // Generous enough for a first connection on a loaded machine; an outage still fails at once (offline).
      return createRedisLimiter({ url: config.url, prefix: config.prefix, log, timeoutMs: 2_000 });
    }
    default:
      return unknownBackend('limiter', config);
  }
}

/** A job interrupted by a shutdown needs this long to be handed back before the grace period ends. */
const HAND_BACK_MS = 2_000;

async function openQueue(
  config: Pick<Config, 'queue' | 'jobLeaseSeconds' | 'shutdownGraceSeconds'>,
  store: Store,
  log: Logger,
): Promise<JobQueue<AppJob>> {
  const options = {
    log,
    leaseMs: config.jobLeaseSeconds * 1000,
    stopTimeoutMs: Math.max(500, config.shutdownGraceSeconds * 1000 - HAND_BACK_MS),
  };
  const queue: QueueConfig = config.queue;
  switch (queue.kind) {
    case 'sql':
      return createSqlJobQueue(store, JOB_SPECS, options);
    case 'bullmq': {
      const { createBullmqJobQueue } = await import('../queue/bullmq-queue.ts');
      return createBullmqJobQueue(JOB_SPECS, { ...options, url: queue.url, prefix: queue.prefix });
    }
    default:
      return unknownBackend('queue', queue);
  }
}

/** Reached only if a `kind` is added to the config without a case above: `never` makes that a compile error. */
function unknownBackend(port: string, config: never): never {
  throw new Error(`unknown ${port} backend ${JSON.stringify(config)}`);
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
    if (!response.ok) throw new ProviderFetchError(response);
    const type = response.headers['content-type'];
    return {
      status: response.status,
      contentType: Array.isArray(type) ? (type[0] ?? '') : (type ?? ''),
      body: response.body,
    };
  };
}
