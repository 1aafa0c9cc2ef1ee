import type { Services } from './compose.ts';
import { MAINTENANCE_JOB } from './maintenance.ts';

/**
 * The worker role: runs the composed job handlers and schedules the maintenance sweep as a job. The dedupe key is
 * the time slot, so several worker processes schedule one sweep per interval between them.
 */
export function startWorker(
  services: Pick<Services, 'queue' | 'jobHandlers' | 'config' | 'logger'>,
): () => Promise<void> {
  const { queue, config, logger } = services;
  queue.start({ concurrency: config.workerConcurrency, handlers: services.jobHandlers });
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
