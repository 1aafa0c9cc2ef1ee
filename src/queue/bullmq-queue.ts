import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { type Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Log } from '../lib/log.ts';
import { settledWithin, withTimeout } from './bounded-wait.ts';
import { type AbortCause, abortRunningJob } from './job-abort.ts';
import { JobRegistry } from './job-registry.ts';
import {
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_STOP_TIMEOUT_MS,
  type DeadJob,
  type EnqueueOptions,
  InvalidJobPayloadError,
  type JobHandler,
  type JobPayload,
  type JobQueue,
  type JobSpec,
  type JobStats,
  type QueueOptions,
  QueueUnavailableError,
  type StartOptions,
  UnknownJobError,
} from './queue.ts';
import { recordError, restoreError } from './recorded-error.ts';
import { type RetryBackoff, resolveBackoff, retryDelayMs } from './retry-backoff.ts';

export interface BullmqQueueOptions extends QueueOptions {
  /** `LIGHTBOX_REDIS_URL`, used whole: credentials, database number, `rediss:` for TLS. */
  url: string;
  /** Every Redis key starts with it, so instances can share a server. Default `lightbox:`. */
  prefix?: string;
  /** Bound on one enqueue or ping, so a dead Redis answers `QueueUnavailableError` instead of hanging. Default 2 s. */
  enqueueTimeoutMs?: number;
  /** How often workers look for jobs whose worker died. Default `leaseMs`. */
  stalledIntervalMs?: number;
}

const QUEUE_NAME = 'jobs';
const BACKOFF_TYPE = 'lightbox';
/** BullMQ counts failures only; our processor counts starts (crashes included) and decides when to stop. */
const UNBOUNDED = 1_000_000;
const ABORT_SETTLE_MS = 1_000;
/** `stats()` reads at most this many jobs per state to split the exact totals by job name. */
const STATS_SCAN = 1_000;
/** BullMQ's states, as `JobStats` groups them (priorities are never used here, but counted). */
const STATE_GROUPS = [
  ['waiting', ['wait', 'prioritized']],
  ['delayed', ['delayed']],
  ['running', ['active']],
  ['dead', ['failed']],
] as const;

/** What is stored as the BullMQ job's data: the limit is fixed at enqueue, as in the SQL backend. */
interface StoredJob {
  payload: unknown;
  maxAttempts: number;
}

interface RunningJob {
  controller: AbortController;
  cause?: AbortCause;
}

/**
 * The scale-out backend: one BullMQ queue named `jobs` under the prefix, workers in every worker process. `specs`
 * are every job this instance may enqueue or run.
 */
export function createBullmqJobQueue<const Specs extends readonly JobSpec[]>(
  specs: Specs,
  options: BullmqQueueOptions,
): JobQueue<Specs[number]> {
  return new BullmqJobQueue(new JobRegistry(specs), options);
}

class BullmqJobQueue implements JobQueue {
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly stalledIntervalMs: number;
  private readonly enqueueTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly defaultMaxAttempts: number;
  private readonly backoff: RetryBackoff;
  private readonly log: Log | undefined;
  private readonly producer: Redis;
  private readonly queue: Queue<StoredJob>;
  private readonly running = new Map<string, RunningJob>();
  private worker: Worker<StoredJob> | undefined;
  private workerConnection: Redis | undefined;
  private stopping: Promise<void> | undefined;
  private closed = false;
  private redisDown = false;
  private handlers: ReadonlyMap<string, JobHandler<unknown>> = new Map();

  constructor(
    private readonly registry: JobRegistry,
    private readonly options: BullmqQueueOptions,
  ) {
    const prefix = options.prefix ?? 'lightbox:';
    if (!prefix) throw new Error('the Redis key prefix must not be empty');
    // BullMQ joins prefix and queue name with ':' itself.
    this.prefix = prefix.endsWith(':') ? prefix.slice(0, -1) : prefix;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.stalledIntervalMs = options.stalledIntervalMs ?? this.leaseMs;
    this.enqueueTimeoutMs = options.enqueueTimeoutMs ?? 2_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.defaultMaxAttempts = options.defaultMaxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.backoff = resolveBackoff(options.retry);
    this.log = options.log;
    this.producer = new Redis(options.url, {
      // Fail a command at once while Redis is unreachable instead of buffering it until it comes back: a request
      // waiting for an enqueue must get its answer now.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.enqueueTimeoutMs,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    this.watch(this.producer, 'producer');
    this.queue = new Queue<StoredJob>(QUEUE_NAME, { connection: this.producer, prefix: this.prefix });
    this.queue.on('error', (error) => this.log?.warn({ err: error }, 'job queue producer error'));
  }

  async enqueue<S extends JobSpec>(
    job: S,
    payload: JobPayload<S>,
    opts: EnqueueOptions = {},
  ): Promise<{ id: string }> {
    const { name } = job;
    const spec = this.registry.spec(name);
    const data: StoredJob = {
      payload: JSON.parse(this.registry.storable(name, payload)),
      maxAttempts: spec.maxAttempts ?? this.defaultMaxAttempts,
    };
    if (this.closed) throw new QueueUnavailableError(new Error('queue closed'));
    const giveUp = new AbortController();
    const add = async () => {
      await this.connected(giveUp.signal);
      // Waiting for the connection may outlast the caller's patience; a late add would queue a job the caller was
      // told had failed.
      if (giveUp.signal.aborted) throw new Error('enqueue abandoned');
      return this.queue.add(name, data, {
        ...(opts.dedupeKey === undefined ? {} : { jobId: dedupeJobId(name, opts.dedupeKey) }),
        delay: Math.max(0, opts.delayMs ?? 0),
        attempts: UNBOUNDED,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: true,
        removeOnFail: false,
      });
    };
    try {
      const added = await withTimeout(add(), this.enqueueTimeoutMs, () => {
        giveUp.abort();
        return new Error(`enqueue took longer than ${this.enqueueTimeoutMs} ms`);
      });
      if (added.id === undefined) throw new Error('BullMQ returned a job without id');
      return { id: added.id };
    } catch (error) {
      throw new QueueUnavailableError(error);
    }
  }

  start({ concurrency, handlers }: StartOptions): void {
    if (this.worker || this.closed) throw new Error('cannot start a job queue twice, or after close');
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error('concurrency must be a positive integer');
    this.handlers = this.registry.bind(handlers);
    // Workers block on Redis and must ride out outages: unlimited retries, offline queue on (BullMQ requires it).
    const connection = new Redis(this.options.url, { maxRetriesPerRequest: null });
    this.watch(connection, 'worker');
    this.workerConnection = connection;
    const worker = new Worker<StoredJob>(
      QUEUE_NAME,
      (job, token, signal) => this.process(job, token, signal),
      {
        connection,
        prefix: this.prefix,
        concurrency,
        lockDuration: this.leaseMs,
        stalledInterval: this.stalledIntervalMs,
        maxStalledCount: UNBOUNDED,
        settings: {
          backoffStrategy: (_failures, _type, _error, job) =>
            retryDelayMs(
              (job as { attemptsStarted?: number } | undefined)?.attemptsStarted ?? 1,
              this.backoff,
            ),
        },
      },
    );
    worker.on('error', (error) => this.log?.warn({ err: error }, 'job queue worker error'));
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const id of jobIds) {
        const entry = this.running.get(id);
        if (entry) abortRunningJob(entry, 'lease');
      }
    });
    this.worker = worker;
  }

  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  async ping(): Promise<void> {
    try {
      const giveUp = new AbortController();
      const ping = async () => {
        await this.connected(giveUp.signal);
        await this.producer.ping();
      };
      await withTimeout(ping(), this.enqueueTimeoutMs, () => {
        giveUp.abort();
        return new Error('ping timed out');
      });
    } catch (error) {
      throw new QueueUnavailableError(error);
    }
  }

  /**
   * Totals per state are exact (BullMQ keeps one list per state, for every name); the split by name reads up to
   * `STATS_SCAN` jobs of each state, oldest first, and scales the shares to the total beyond that. A job's due time
   * is its enqueue time plus delay, or its last start for a retry: BullMQ does not keep when a delay ended.
   */
  async stats(): Promise<JobStats[]> {
    const read = async () => {
      await this.connected(new AbortController().signal);
      const now = Date.now();
      const rows = new Map<string, JobStats>(
        this.registry.names.map((name) => [
          name,
          { name, waiting: 0, delayed: 0, running: 0, dead: 0, oldestWaitingMs: 0 },
        ]),
      );
      const totals = await this.queue.getJobCounts(...STATE_GROUPS.flatMap(([, states]) => states));
      for (const [field, states] of STATE_GROUPS) {
        const total = states.reduce((sum, state) => sum + (totals[state] ?? 0), 0);
        if (total === 0) continue;
        const jobs = (await this.queue.getJobs([...states], 0, STATS_SCAN - 1, true)).filter(Boolean);
        const scale = jobs.length > 0 ? total / jobs.length : 0;
        const shares = new Map<string, number>();
        for (const job of jobs) {
          const row = rows.get(job.name);
          if (!row) continue;
          shares.set(job.name, (shares.get(job.name) ?? 0) + 1);
          if (field === 'waiting') {
            const due = Math.max(job.timestamp + (job.delay ?? 0), job.processedOn ?? 0);
            row.oldestWaitingMs = Math.max(row.oldestWaitingMs, now - due);
          }
        }
        for (const [name, share] of shares) {
          const row = rows.get(name);
          if (row) row[field] = Math.round(share * scale);
        }
      }
      return [...rows.values()];
    };
    try {
      return await withTimeout(read(), this.enqueueTimeoutMs * 2, () => new Error('stats timed out'));
    } catch (error) {
      throw new QueueUnavailableError(error);
    }
  }

  /**
   * BullMQ's failed set is kept newest first by finish time; jobs of names this queue does not know (another
   * release's) are skipped, reading at most `STATS_SCAN` of them.
   */
  async deadJobs(limit: number): Promise<DeadJob[]> {
    const read = async () => {
      await this.connected(new AbortController().signal);
      const names = new Set(this.registry.names);
      const jobs = (await this.queue.getJobs(['failed'], 0, STATS_SCAN - 1, false)).filter(Boolean);
      return jobs
        .filter((job) => names.has(job.name))
        .slice(0, limit)
        .map((job) => ({
          id: job.id ?? '',
          name: job.name,
          attempts: job.attemptsStarted,
          error: job.failedReason || null,
          diedAt: job.finishedOn ?? job.processedOn ?? job.timestamp,
        }));
    };
    try {
      return await withTimeout(read(), this.enqueueTimeoutMs * 2, () => new Error('dead jobs timed out'));
    } catch (error) {
      throw new QueueUnavailableError(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.running.values()) abortRunningJob(entry, 'close');
    if (this.worker) {
      // Abrupt, like a crash: the worker's jobs keep their locks until they expire, then the stalled checker of
      // another worker puts them back. Closing first stops BullMQ from retrying writes on the cut connection.
      void this.worker.close(true).catch(() => {});
      this.workerConnection?.disconnect();
    }
    await settledWithin(this.queue.close(), this.enqueueTimeoutMs);
    this.producer.disconnect();
  }

  private async drain(): Promise<void> {
    const worker = this.worker;
    if (!worker || this.closed) return;
    const closing = worker.close();
    if (!(await settledWithin(closing, this.stopTimeoutMs))) {
      for (const entry of this.running.values()) abortRunningJob(entry, 'stop');
      // Handlers that ignore their signal are left to close(): their locks run out and another worker takes over.
      if (!(await settledWithin(closing, ABORT_SETTLE_MS))) return;
    }
    await settledWithin(this.workerConnection?.quit() ?? Promise.resolve(), this.enqueueTimeoutMs);
  }

  private async process(job: Job<StoredJob>, token: string | undefined, signal: AbortSignal | undefined) {
    const jobId = job.id ?? '';
    const { maxAttempts } = job.data;
    const attempt = job.attemptsStarted;
    const handler = this.handlers.get(job.name);
    if (!handler) {
      // A worker from another release may know it: fail this start and let the retries find one.
      if (attempt >= maxAttempts) throw new UnrecoverableError(recordError(new UnknownJobError(job.name)));
      throw new UnknownJobError(job.name);
    }
    const payload: unknown = job.data.payload;
    try {
      this.registry.check(job.name, payload);
    } catch (error) {
      // A payload that no longer validates will not validate on a retry either.
      const reason =
        error instanceof InvalidJobPayloadError ? error : new InvalidJobPayloadError(job.name, error);
      this.log?.error({ err: reason, jobId }, 'job payload invalid at run');
      throw new UnrecoverableError(recordError(reason));
    }
    const entry: RunningJob = { controller: new AbortController() };
    const forward = () => abortRunningJob(entry, 'lease');
    signal?.addEventListener('abort', forward, { once: true });
    this.running.set(jobId, entry);
    try {
      if (attempt > maxAttempts) {
        // The last attempt never reported (crash, or a failed onExhausted): only the exhaustion is left to do.
        return await this.exhaust(handler, payload, restoreError(job.failedReason), job);
      }
      try {
        await handler.handle(payload, { jobId, attempt, maxAttempts, signal: entry.controller.signal });
      } catch (error) {
        if (entry.cause === 'stop' && token) {
          // Interrupted by shutdown: back to waiting at once, not after a backoff.
          await job.moveToWait(token);
          throw new WaitingError();
        }
        if (attempt < maxAttempts) {
          this.log?.warn({ err: error, jobId, job: job.name, attempt }, 'job attempt failed');
          throw new Error(recordError(error), { cause: error });
        }
        await this.exhaust(handler, payload, error, job);
      }
    } finally {
      signal?.removeEventListener('abort', forward);
      this.running.delete(jobId);
    }
  }

  /** Throws in every case: UnrecoverableError marks the job dead; anything else retries the exhaustion. */
  private async exhaust(handler: JobHandler<unknown>, payload: unknown, error: unknown, job: Job<StoredJob>) {
    this.log?.error({ err: error, jobId: job.id, job: job.name }, 'job exhausted its attempts');
    try {
      await handler.onExhausted?.(payload, error);
    } catch (hookError) {
      this.log?.error({ err: hookError, jobId: job.id, job: job.name }, 'onExhausted failed; retrying it');
      throw new Error(recordError(error), { cause: hookError });
    }
    throw new UnrecoverableError(recordError(error));
  }

  /**
   * Waits for the producer's (re)connection, for BullMQ's scripts to be loaded on it. Without an offline queue a
   * command sent while reconnecting fails at once, so a short network blip would otherwise fail requests.
   */
  private async connected(signal: AbortSignal): Promise<void> {
    await this.queue.waitUntilReady();
    if (this.producer.status === 'ready' || signal.aborted) return;
    await once(this.producer, 'ready', { signal });
  }

  /** Every listener-less ioredis error would be printed; log each outage once instead of each reconnect. */
  private watch(redis: Redis, role: string): void {
    redis.on('error', (error) => {
      if (this.redisDown) return;
      this.redisDown = true;
      this.log?.warn({ err: error, role }, 'Redis unreachable');
    });
    redis.on('ready', () => {
      this.redisDown = false;
    });
  }
}

/** BullMQ ids may not contain ':' nor look like integers; the hash also scopes the key to the job name. */
function dedupeJobId(name: string, key: string): string {
  return `dedupe-${createHash('sha256').update(`${name}\n${key}`).digest('hex').slice(0, 40)}`;
}
