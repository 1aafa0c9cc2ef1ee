import type { Services } from './compose.ts';
import { MAINTENANCE_JOB } from './jobs.ts';

/**
 * The worker role: runs the job catalog and schedules the maintenance sweep as a job. The dedupe key is the time
 * slot, so several worker processes schedule one sweep per interval between them.
 */
export function startWorker(services: Services): () => Promise<void> {
  services.queue.start({ concurrency: services.config.workerConcurrency });
  const intervalMs = services.config.sweepIntervalSeconds * 1000;
  const schedule = () => {
    const slot = Math.floor(Date.now() / intervalMs);
    services.queue
      .enqueue(MAINTENANCE_JOB, { slot }, { dedupeKey: `slot-${slot}` })
      .catch((error: unknown) =>
        services.logger.warn({ err: error }, 'could not schedule the maintenance sweep'),
      );
  };
  schedule();
  const timer = setInterval(schedule, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await services.queue.stop();
  };
}
