import { sweepRetention } from '../media/retention-sweeper.ts';
import type { Services } from './compose.ts';

/** Periodic work of the worker role. Returns a stop function that waits for a sweep in progress. */
export function startBackgroundWork(services: Services): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = sweepRetention(services)
      .then((result) => {
        if (result.media > 0 || result.blobs > 0) services.logger.info(result, 'retention sweep');
      })
      .catch((error: unknown) => services.logger.error({ err: error }, 'retention sweep failed'));
  };
  tick();
  const timer = setInterval(tick, services.config.sweepIntervalSeconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
