import { enhancementJobs } from '../enhancements/enhancement-jobs.ts';
import { mailDeliveryJob, requeueUnsentMail } from '../mail/smtp-mailer.ts';
import { pyramidJob } from '../media/pyramid-job.ts';
import { sweepRetention } from '../media/retention-sweeper.ts';
import { createJobCatalog, type JobCatalog } from '../queue/job-catalog.ts';
import { defineJob, type JobDefinition } from '../queue/queue.ts';
import { requeueDueWebhooks, webhookDeliveryJob } from '../webhooks/webhook-delivery.ts';
import type { Services } from './compose.ts';
import { requeueStranded, sweepIdempotencyRecords } from './maintenance.ts';

export const MAINTENANCE_JOB = 'maintenance.sweep';

/** Every job the system runs: name → payload schema → handler. Built the same in every process. */
export function buildJobCatalog(services: () => Services): JobCatalog {
  const s = services;
  const maintenance = defineJob({
    name: MAINTENANCE_JOB,
    maxAttempts: 3,
    validate: (payload) => {
      const slot = (payload as { slot?: unknown } | null)?.slot;
      if (typeof slot !== 'number') throw new Error('slot must be a number');
      return { slot };
    },
    // Expired media and owed blob deletions, stale idempotency records, batches whose start job was lost, and mail
    // whose delivery job was lost.
    async handle() {
      const result = await sweepRetention(s());
      const records = await sweepIdempotencyRecords(s().store);
      const requeued =
        (await requeueStranded(s())) +
        (await requeueDueWebhooks(s())) +
        (s().mailTransport ? await requeueUnsentMail(s()) : 0);
      if (result.media + result.blobs + records + requeued > 0) {
        s().logger.info({ ...result, idempotency_records: records, requeued }, 'maintenance sweep');
      }
    },
  });
  return createJobCatalog([
    maintenance as JobDefinition<unknown>,
    mailDeliveryJob({
      get store() {
        return s().store;
      },
      get log() {
        return s().logger;
      },
      transport: () => {
        const transport = s().mailTransport;
        if (!transport) throw new Error('mail.deliver needs LIGHTBOX_SMTP_URL');
        return transport;
      },
    }) as JobDefinition<unknown>,
    pyramidJob({
      get store() {
        return s().store;
      },
      get blobs() {
        return s().blobs;
      },
      get imageLimits() {
        return s().imageLimits;
      },
      get logger() {
        return s().logger;
      },
      get mediaChanges() {
        return s().mediaChanges;
      },
    }) as JobDefinition<unknown>,
    webhookDeliveryJob({
      get store() {
        return s().store;
      },
      get fetcher() {
        return s().fetcher;
      },
      queue: () => s().queue,
      get logger() {
        return s().logger;
      },
      get retryDelays() {
        return s().config.webhookRetryDelays;
      },
    }),
    ...enhancementJobs({
      get store() {
        return s().store;
      },
      get blobs() {
        return s().blobs;
      },
      get fetcher() {
        return s().fetcher;
      },
      queue: () => s().queue,
      get enhancer() {
        return s().enhancer;
      },
      get sandboxEnhancer() {
        return s().sandboxEnhancer;
      },
      get events() {
        return s().events;
      },
      get logger() {
        return s().logger;
      },
    }),
  ]);
}
