import { createRenditionStats, type RenditionStats } from '../delivery/rendition-limits.ts';
import { renditionRows } from '../delivery/rendition-rows.ts';
import { itemErrorCatalog } from '../errors/catalog.ts';
import { sharedImageWorkQueue } from '../imaging/image-work-queue.ts';
import type { Log } from '../lib/log.ts';
import { createMetricsRegistry, type MetricsRegistry } from '../metrics/metrics-registry.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import { JOB_SPECS } from './jobs.ts';

/**
 * This process's metrics registry, with its samplers wired to the ports: the job queue's `stats()`, the shared
 * image work queue, this process's rendition counters and the rendition cache's total row. `close` detaches it.
 */
export function createProcessMetrics(deps: { store: Store; queue: JobQueue; logger: Log }): {
  metrics: MetricsRegistry;
  renditionStats: RenditionStats;
  close(): void;
} {
  const renditionStats = createRenditionStats();
  const rows = renditionRows(deps.store);
  const metrics = createMetricsRegistry({
    itemErrorCodes: Object.keys(itemErrorCatalog),
    jobNames: JOB_SPECS.map((spec) => spec.name),
    log: deps.logger,
    samplers: {
      jobQueue: () => deps.queue.stats(),
      imageWork: () => ({ waiting: sharedImageWorkQueue.depth, active: sharedImageWorkQueue.active }),
      renditions: () => renditionStats,
      renditionCacheBytes: () => rows.totalBytes(),
    },
  });
  const detach = sharedImageWorkQueue.onWait((ms) => metrics.imageWorkWaited(ms / 1000));
  return { metrics, renditionStats, close: detach };
}
