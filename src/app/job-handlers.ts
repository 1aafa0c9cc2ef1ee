import type { BlobStore } from '../blobs/blobs.ts';
import type { Config } from '../config/config.ts';
import type { EnhancementEventSink } from '../enhancements/enhancement-events.ts';
import { enhancementHandlers } from '../enhancements/enhancement-jobs.ts';
import type { Enhancer } from '../enhancements/enhancer.ts';
import type { SafeFetcher } from '../fetcher/index.ts';
import type { ImageLimits } from '../imaging/image-limits.ts';
import type { Log } from '../lib/log.ts';
import type { Metrics } from '../lib/metrics.ts';
import { mailDeliveryHandlers } from '../mail/smtp-mail.ts';
import type { MailTransport } from '../mail/smtp-transport.ts';
import type { MediaChanges } from '../media/media-changes.ts';
import { pyramidHandlers } from '../media/pyramid-job.ts';
import type { JobHandlers, JobQueue } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import { webhookDeliveryHandlers } from '../webhooks/webhook-delivery.ts';
import type { AppJob } from './jobs.ts';
import { maintenanceHandlers } from './maintenance.ts';

/** What the handlers of every job use, as composed by compose.ts. */
export interface JobHandlerDeps {
  config: Pick<Config, 'webhookRetryDelays'>;
  store: Store;
  blobs: BlobStore;
  fetcher: SafeFetcher;
  queue: JobQueue;
  logger: Log;
  imageLimits: ImageLimits;
  mediaChanges: MediaChanges;
  enhancer: Enhancer;
  sandboxEnhancer: Enhancer;
  events: EnhancementEventSink;
  metrics: Metrics;
  /** Null when mail stays in the outbox. */
  mailTransport: MailTransport | null;
}

/** One handler per job of `JOB_SPECS` (a missing one does not compile), given to `queue.start` by workers. */
export function jobHandlers(deps: JobHandlerDeps): JobHandlers<AppJob> {
  const { store, logger, mailTransport } = deps;
  return {
    ...maintenanceHandlers({ ...deps, requeueMail: mailTransport !== null }),
    // Without SMTP nothing enqueues mail jobs; one left by an SMTP-configured release fails until it is dead.
    ...mailDeliveryHandlers({ store, log: logger, transport: mailTransport ?? noSmtp }),
    ...pyramidHandlers(deps),
    ...webhookDeliveryHandlers({ ...deps, retryDelays: deps.config.webhookRetryDelays }),
    ...enhancementHandlers(deps),
  };
}

const noSmtp: MailTransport = {
  async send() {
    throw new Error('mail.deliver needs LIGHTBOX_SMTP_URL');
  },
  async close() {},
};
