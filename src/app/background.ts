import type { Services } from './compose.ts';
import { MAINTENANCE_JOB } from './maintenance.ts';
import { warmUpSegmentation } from './segmentation-setup.ts';

/**
 * The worker role: runs the composed job handlers, loads the segmentation model, and schedules the maintenance sweep as a job. The dedupe key is
 * the time slot, so several worker processes schedule one sweep per interval between them.
 */
export function startWorker(
  services: Pick<Services, 'queue' | 'jobHandlers' | 'config' | 'logger' | 'enhancer'>,
): () => Promise<void> {
  const { queue, config, logger } = services;
  queue.start({ concurrency: config.workerConcurrency, handlers: services.jobHandlers });
  // In the background: a model loads in seconds, and the queue does not wait for it (an item that comes first
  // waits for the same load in the worker pool).
  warmUpSegmentation(services.enhancer, logger).catch((error: unknown) =>
    logger.warn({ err: error }, 'segmentation warm-up failed'),
  );
  const intervalMs = config.sweepIntervalSeconds * 1000;
  const schedule = () => {
    const slot = Math.floor(Date.now() / intervalMs);
    queue
      .enqueue(MAINTENANCE_JOB, { slot }, { dedupeKey: `slot-${slot}` })
      .catch((error: unknown) => logger.warn({ err: error }, 'could not schedule the maintenance sweep'));
  };
  schedule();
  const timer = setInterval(schedule, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await queue.stop();
  };
}
