import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Log } from '../lib/log.ts';
import type { CreditMovement, Metrics } from '../lib/metrics.ts';

/** One job name's share of the job queue at scrape time (the queue port's `stats()`). */
export interface JobQueueSample {
  name: string;
  waiting: number;
  delayed: number;
  running: number;
  dead: number;
  /** How long the oldest due job has waited for a worker; 0 when none waits. */
  oldestWaitingMs: number;
}

/** The counters of this process's rendition service (`services.renditionStats`), read at scrape time. */
export interface RenditionCounters {
  hits: number;
  computed: number;
  joined: number;
  negativeHits: number;
  substituted: number;
  limited: number;
  bounded: number;
  evicted: number;
  computedBytes: number;
  stored: number;
}

/** What is read when Prometheus scrapes, through the ports: nothing here polls in the background. */
export interface MetricsSamplers {
  jobQueue(): Promise<readonly JobQueueSample[]>;
  imageWork(): { waiting: number; active: number };
  renditions(): RenditionCounters;
  /** Bytes of every cached rendition (all processes: the total row in the SQL store). */
  renditionCacheBytes(): Promise<number>;
}

export type HttpFamily = 'hosting' | 'enhancement' | 'admin' | 'src' | 'pages' | 'health' | 'metrics';
export type JobOutcome = 'completed' | 'failed' | 'interrupted';

export interface HttpSample {
  family: HttpFamily;
  /** The route template (`/v1/media/:id`), or `unmatched`: never a raw URL. */
  route: string;
  method: string;
  status: number;
  seconds: number;
}

export interface MetricsRegistry extends Metrics {
  httpRequest(sample: HttpSample): void;
  jobRun(job: string, outcome: JobOutcome, seconds: number): void;
  jobExhausted(job: string): void;
  rateLimited(limit: string): void;
  imageWorkWaited(seconds: number): void;
  /** The exposition text, after sampling the ports. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const WEBHOOK_OUTCOMES = new Set(['delivered', 'http_error', 'blocked', 'timeout', 'unreachable']);
/** Label values outside a known set collapse to this one, so a bug cannot blow up the series count. */
const OTHER = 'other';

/**
 * The Prometheus registry of one process: every family the operations guide lists (docs/operations.md), the
 * prom-client process defaults, and the samplers read at scrape time. The names are the same on both profiles;
 * only the values come from different backends.
 */
export function createMetricsRegistry(options: {
  samplers: MetricsSamplers;
  /** Item error codes (the catalog's): any other code is counted as `other`. */
  itemErrorCodes: readonly string[];
  /** Job names the queue knows: sampled series exist for each from the first scrape on. */
  jobNames: readonly string[];
  log: Log;
}): MetricsRegistry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const itemCodes = new Set(options.itemErrorCodes);
  const jobNames = new Set(options.jobNames);
  const jobLabel = (name: string) => (jobNames.has(name) ? name : OTHER);

  const httpRequests = new Counter({
    name: 'lightbox_http_requests_total',
    help: 'HTTP requests answered, by API family, route template, method and status.',
    labelNames: ['family', 'route', 'method', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'lightbox_http_request_duration_seconds',
    help: 'Time from request to response, by API family, route template and method.',
    labelNames: ['family', 'route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const renditionRequests = new Counter({
    name: 'lightbox_rendition_requests_total',
    help: 'src renditions asked for, by how they were answered (hit, miss, joined, substituted, limited, failed_recently).',
    labelNames: ['result'] as const,
    registers,
  });
  const renditionBounded = new Counter({
    name: 'lightbox_rendition_bounded_total',
    help: 'Renditions scaled down to stay within the cost budget.',
    registers,
  });
  const renditionEvictions = new Counter({
    name: 'lightbox_rendition_cache_evictions_total',
    help: 'Cached renditions evicted (least recently used past LIGHTBOX_RENDITION_CACHE_MB).',
    registers,
  });
  const renditionComputedBytes = new Counter({
    name: 'lightbox_rendition_computed_bytes_total',
    help: 'Bytes of renditions computed by this process (cache misses).',
    registers,
  });
  const renditionCacheWrites = new Counter({
    name: 'lightbox_rendition_cache_writes_total',
    help: 'Computed renditions this process wrote to the blob store; fewer than its misses means writes failed.',
    registers,
  });
  const renditionCacheBytes = new Gauge({
    name: 'lightbox_rendition_cache_bytes',
    help: 'Bytes of all cached renditions (shared by every process).',
    registers,
  });
  const imageWorkWaiting = new Gauge({
    name: 'lightbox_image_work_queue_depth',
    help: 'Image work (decode, render, enhance) waiting for a slot in this process.',
    registers,
  });
  const imageWorkActive = new Gauge({
    name: 'lightbox_image_work_active',
    help: 'Image work running in this process (at most one per core).',
    registers,
  });
  const imageWorkWait = new Histogram({
    name: 'lightbox_image_work_wait_seconds',
    help: 'Time image work waited for a slot.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const queueJobs = new Gauge({
    name: 'lightbox_job_queue_jobs',
    help: 'Jobs in the queue (all processes), by job name and state (waiting, delayed, running, dead).',
    labelNames: ['job_name', 'state'] as const,
    registers,
  });
  const queueOldest = new Gauge({
    name: 'lightbox_job_queue_oldest_waiting_seconds',
    help: 'How long the oldest due job of each name has waited for a worker (0: none waiting).',
    labelNames: ['job_name'] as const,
    registers,
  });
  const jobs = new Counter({
    name: 'lightbox_jobs_total',
    help: 'Job attempts run by this process, by job name and outcome (completed, failed, interrupted, exhausted).',
    labelNames: ['job_name', 'outcome'] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: 'lightbox_job_duration_seconds',
    help: 'Duration of job attempts, by job name and outcome.',
    labelNames: ['job_name', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });
  const items = new Counter({
    name: 'lightbox_enhancement_items_total',
    help: 'Enhancement items that reached a terminal state, by outcome and item error code.',
    labelNames: ['outcome', 'code'] as const,
    registers,
  });
  const credits = new Counter({
    name: 'lightbox_credits_total',
    help: 'Credits moved by enhancements: reserved at create, consumed by completed items, released otherwise.',
    labelNames: ['movement'] as const,
    registers,
  });
  const webhookAttempts = new Counter({
    name: 'lightbox_webhook_attempts_total',
    help: 'Webhook delivery attempts, by outcome (delivered, http_error, timeout, unreachable, blocked).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const webhookDuration = new Histogram({
    name: 'lightbox_webhook_attempt_duration_seconds',
    help: 'Duration of webhook delivery attempts.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const rateLimited = new Counter({
    name: 'lightbox_rate_limit_refusals_total',
    help: 'Requests the rate limiter refused, by limit.',
    labelNames: ['limit'] as const,
    registers,
  });
  const samplingFailures = new Counter({
    name: 'lightbox_metrics_sampling_failures_total',
    help: 'Scrapes during which a sampled backend (job queue, rendition cache total) could not be read.',
    labelNames: ['sampler'] as const,
    registers,
  });

  for (const movement of ['reserved', 'consumed', 'released'] as const) credits.inc({ movement }, 0);
  for (const job of jobNames) queueOldest.set({ job_name: job }, 0);

  /** Counters kept elsewhere (the rendition service's), copied in: reset then set, so they only move forward. */
  function copyCounter(counter: Counter<string>, value: number, labels: Record<string, string> = {}) {
    counter.reset();
    counter.inc(labels, value);
  }

  async function sample(): Promise<void> {
    const { samplers } = options;
    const work = samplers.imageWork();
    imageWorkWaiting.set(work.waiting);
    imageWorkActive.set(work.active);
    const r = samplers.renditions();
    renditionRequests.reset();
    const results = {
      hit: r.hits,
      miss: r.computed,
      joined: r.joined,
      substituted: r.substituted,
      limited: r.limited,
      failed_recently: r.negativeHits,
    };
    for (const [result, value] of Object.entries(results)) renditionRequests.inc({ result }, value);
    copyCounter(renditionBounded, r.bounded);
    copyCounter(renditionEvictions, r.evicted);
    copyCounter(renditionComputedBytes, r.computedBytes);
    copyCounter(renditionCacheWrites, r.stored);
    await Promise.all([
      sampled('rendition_cache', async () => renditionCacheBytes.set(await samplers.renditionCacheBytes())),
      sampled('job_queue', async () => {
        const rows = await samplers.jobQueue();
        queueJobs.reset();
        queueOldest.reset();
        for (const row of rows) {
          const job_name = jobLabel(row.name);
          for (const state of ['waiting', 'delayed', 'running', 'dead'] as const)
            queueJobs.set({ job_name, state }, row[state]);
          queueOldest.set({ job_name }, row.oldestWaitingMs / 1000);
        }
      }),
    ]);
  }

  /** A backend that cannot be read leaves its last values and counts a failure; the scrape still answers. */
  async function sampled(sampler: string, read: () => Promise<void>): Promise<void> {
    try {
      await read();
    } catch (error) {
      samplingFailures.inc({ sampler });
      options.log.warn({ err: error, sampler }, 'metrics sampler failed');
    }
  }

  return {
    contentType: registry.contentType,
    httpRequest({ family, route, method, status, seconds }) {
      const m = METHODS.has(method) ? method : OTHER;
      httpRequests.inc({ family, route, method: m, status: String(status) });
      httpDuration.observe({ family, route, method: m }, seconds);
    },
    jobRun(job, outcome, seconds) {
      jobs.inc({ job_name: jobLabel(job), outcome });
      jobDuration.observe({ job_name: jobLabel(job), outcome }, seconds);
    },
    jobExhausted(job) {
      jobs.inc({ job_name: jobLabel(job), outcome: 'exhausted' });
    },
    rateLimited(limit) {
      rateLimited.inc({ limit });
    },
    imageWorkWaited(seconds) {
      imageWorkWait.observe(seconds);
    },
    creditsMoved(movement: CreditMovement, amount: number) {
      if (amount > 0) credits.inc({ movement }, amount);
    },
    enhancementItemFinished(outcome, code) {
      const label = code === null ? 'none' : itemCodes.has(code) ? code : OTHER;
      items.inc({ outcome, code: label });
    },
    webhookAttempt(outcome, latencyMs) {
      webhookAttempts.inc({ outcome: WEBHOOK_OUTCOMES.has(outcome) ? outcome : OTHER });
      webhookDuration.observe(latencyMs / 1000);
    },
    async scrape() {
      await sample();
      return registry.metrics();
    },
  };
}
