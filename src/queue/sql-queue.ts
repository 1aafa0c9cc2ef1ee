import { randomUUID } from 'node:crypto';
import type { Log } from '../lib/log.ts';
import type { Store } from '../store/store.ts';
import { settledWithin } from './bounded-wait.ts';
import { type AbortCause, abortRunningJob } from './job-abort.ts';
import { JobRegistry } from './job-registry.ts';
import { notifyLocalEnqueue, onLocalEnqueue } from './local-wakeup.ts';
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
import {
  buryJob,
  type ClaimedJob,
  claimJob,
  countJobs,
  deleteJob,
  extendLease,
  findClaimable,
  insertJob,
  listDeadJobs,
  requeueJob,
} from './sql-job-rows.ts';

export interface SqlQueueOptions extends QueueOptions {
  /** How often idle workers look for due jobs enqueued by other processes (and for expired leases). */
  pollIntervalMs?: number;
}

/** After aborting on stop, how long handlers get to notice before the instance lets go of them. */
const ABORT_SETTLE_MS = 1_000;

/**
 * The embedded backend: a durable `jobs` table in the SQL store, leases, polling workers in this process. `specs`
 * are every job this instance may enqueue or run; its workers claim only those names.
 */
export function createSqlJobQueue<const Specs extends readonly JobSpec[]>(
  store: Store,
  specs: Specs,
  options: SqlQueueOptions = {},
): JobQueue<Specs[number]> {
  return new SqlJobQueue(store, new JobRegistry(specs), options);
}

interface RunningJob {
  job: ClaimedJob;
  controller: AbortController;
  cause?: AbortCause;
  leaseUntil: number;
  heartbeat: NodeJS.Timeout;
  beating: boolean;
  /** Let go by stop() or close(): this instance writes nothing more about it. */
  abandoned: boolean;
  done?: Promise<void>;
}

class SqlJobQueue implements JobQueue {
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly stopTimeoutMs: number;
  private readonly defaultMaxAttempts: number;
  private readonly backoff: RetryBackoff;
  private readonly log: Log | undefined;
  private readonly running = new Map<string, RunningJob>();
  private state: 'idle' | 'started' | 'stopping' | 'stopped' | 'closed' = 'idle';
  private concurrency = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private stopping: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private handlers: ReadonlyMap<string, JobHandler<unknown>> = new Map();

  constructor(
    private readonly store: Store,
    private readonly registry: JobRegistry,
    options: SqlQueueOptions,
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.defaultMaxAttempts = options.defaultMaxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.backoff = resolveBackoff(options.retry);
    this.log = options.log;
  }

  async enqueue<S extends JobSpec>(
    job: S,
    payload: JobPayload<S>,
    opts: EnqueueOptions = {},
  ): Promise<{ id: string }> {
    const { name } = job;
    const spec = this.registry.spec(name);
    const json = this.registry.storable(name, payload);
    if (this.state === 'closed') throw new QueueUnavailableError(new Error('queue closed'));
    const now = Date.now();
    try {
      const id = await insertJob(this.store.db, {
        id: randomUUID(),
        name,
        payload: json,
        dedupe_key: opts.dedupeKey ?? null,
        max_attempts: spec.maxAttempts ?? this.defaultMaxAttempts,
        run_at: now + Math.max(0, opts.delayMs ?? 0),
        created_at: now,
        updated_at: now,
      });
      notifyLocalEnqueue(this.store);
      return { id };
    } catch (error) {
      throw new QueueUnavailableError(error);
    }
  }

  start({ concurrency, handlers }: StartOptions): void {
    if (this.state !== 'idle') throw new Error(`cannot start a job queue that is ${this.state}`);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error('concurrency must be a positive integer');
    this.handlers = this.registry.bind(handlers);
    this.state = 'started';
    this.concurrency = concurrency;
    this.unsubscribe = onLocalEnqueue(this.store, () => this.poll());
    this.poll();
  }

  stop(): Promise<void> {
    this.stopping ??= this.drain();
    return this.stopping;
  }

  async ping(): Promise<void> {
    try {
      await this.store.ping();
    } catch (error) {
      throw new QueueUnavailableError(error);
    }
  }

  async stats(): Promise<JobStats[]> {
    const now = Date.now();
    const { byStatus, due } = await countJobs(this.store.db, this.registry.names, now);
    return this.registry.names.map((name) => {
      const count = (status: string) =>
        byStatus.find((r) => r.name === name && r.status === status)?.count ?? 0;
      const ready = due.find((r) => r.name === name);
      return {
        name,
        waiting: ready?.count ?? 0,
        delayed: count('queued') - (ready?.count ?? 0),
        running: count('running'),
        dead: count('dead'),
        oldestWaitingMs: ready ? Math.max(0, now - ready.oldestRunAt) : 0,
      };
    });
  }

  async deadJobs(limit: number): Promise<DeadJob[]> {
    const rows = await listDeadJobs(this.store.db, this.registry.names, limit);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      attempts: Number(r.attempts),
      error: r.last_error,
      diedAt: Number(r.updated_at),
    }));
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.halt();
    for (const entry of this.running.values()) this.abandon(entry, 'close');
  }

  /** One poll at a time; a wake-up during a poll runs another right after it instead of being lost. */
  private poll(): void {
    if (this.state !== 'started') return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    clearTimeout(this.timer);
    this.polling = this.claimDue()
      .catch((error: unknown) => this.log?.error({ err: error }, 'job queue poll failed'))
      .finally(() => {
        this.polling = undefined;
        if (this.state !== 'started') return;
        if (this.pollAgain) {
          this.pollAgain = false;
          this.poll();
        } else {
          this.timer = setTimeout(() => this.poll(), this.pollIntervalMs);
        }
      });
  }

  private async claimDue(): Promise<void> {
    const names = [...this.handlers.keys()];
    const free = this.concurrency - this.running.size;
    if (free <= 0 || names.length === 0) return;
    // More candidates than free slots: other workers race for the same rows and some claims will be lost.
    const ids = await findClaimable(this.store.db, names, Date.now(), free * 2);
    for (const id of ids) {
      if (this.state !== 'started' || this.running.size >= this.concurrency) return;
      const job = await claimJob(this.store.db, id, Date.now(), this.leaseMs, randomUUID());
      if (job) this.run(job);
    }
  }

  private run(job: ClaimedJob): void {
    const entry: RunningJob = {
      job,
      controller: new AbortController(),
      leaseUntil: job.leaseUntil,
      heartbeat: setInterval(() => void this.heartbeat(entry), this.leaseMs / 3),
      beating: false,
      abandoned: false,
    };
    this.running.set(job.id, entry);
    entry.done = this.execute(entry)
      .catch((error: unknown) =>
        this.log?.error({ err: error, jobId: job.id, job: job.name }, 'job bookkeeping failed'),
      )
      .finally(() => {
        clearInterval(entry.heartbeat);
        this.running.delete(job.id);
        this.poll();
      });
  }

  private async execute(entry: RunningJob): Promise<void> {
    const { job } = entry;
    const handler = this.handlers.get(job.name);
    if (!handler) throw new UnknownJobError(job.name);
    let payload: unknown;
    try {
      payload = JSON.parse(job.payload);
      this.registry.check(job.name, payload);
    } catch (error) {
      // A payload that no longer validates will not validate on a retry either.
      const reason =
        error instanceof InvalidJobPayloadError ? error : new InvalidJobPayloadError(job.name, error);
      this.log?.error({ err: reason, jobId: job.id }, 'job payload invalid at run');
      await this.write(entry, () => buryJob(this.store.db, { ...job, lastError: recordError(reason) }));
      return;
    }
    if (job.attempts > job.max_attempts) {
      // The last attempt never reported (crash, or a failed onExhausted): only the exhaustion is left to do.
      await this.exhaust(entry, handler, payload, restoreError(job.last_error));
      return;
    }
    try {
      await handler.handle(payload, {
        jobId: job.id,
        attempt: job.attempts,
        maxAttempts: job.max_attempts,
        signal: entry.controller.signal,
      });
    } catch (error) {
      if (entry.cause === 'stop') {
        await this.write(entry, () => requeueJob(this.store.db, { ...job, runAt: Date.now() }));
      } else if (job.attempts < job.max_attempts) {
        this.log?.warn(
          { err: error, jobId: job.id, job: job.name, attempt: job.attempts },
          'job attempt failed',
        );
        await this.retryLater(entry, recordError(error));
      } else {
        await this.exhaust(entry, handler, payload, error);
      }
      return;
    }
    await this.write(entry, () => deleteJob(this.store.db, job.id, job.token));
  }

  private async exhaust(
    entry: RunningJob,
    handler: JobHandler<unknown>,
    payload: unknown,
    error: unknown,
  ): Promise<void> {
    const { job } = entry;
    this.log?.error(
      { err: error, jobId: job.id, job: job.name, attempt: job.attempts },
      'job exhausted its attempts',
    );
    try {
      await handler.onExhausted?.(payload, error);
    } catch (hookError) {
      this.log?.error({ err: hookError, jobId: job.id, job: job.name }, 'onExhausted failed; retrying it');
      await this.retryLater(entry, recordError(error));
      return;
    }
    await this.write(entry, () => buryJob(this.store.db, { ...job, lastError: recordError(error) }));
  }

  private retryLater(entry: RunningJob, lastError: string): Promise<void> {
    const runAt = Date.now() + retryDelayMs(entry.job.attempts, this.backoff);
    return this.write(entry, () => requeueJob(this.store.db, { ...entry.job, runAt, lastError }));
  }

  /** Every write is also conditional on the lease token in SQL; this only keeps a let-go instance quiet. */
  private async write(entry: RunningJob, statement: () => Promise<void>): Promise<void> {
    if (!entry.abandoned) await statement();
  }

  private async heartbeat(entry: RunningJob): Promise<void> {
    if (entry.beating || entry.abandoned || entry.cause === 'lease') return;
    entry.beating = true;
    const { job } = entry;
    const until = Date.now() + this.leaseMs;
    try {
      if (await extendLease(this.store.db, job.id, job.token, until)) entry.leaseUntil = until;
      else this.abort(entry, 'lease');
    } catch (error) {
      this.log?.warn({ err: error, jobId: job.id }, 'job lease renewal failed');
      // Past our own lease another worker may already run the job: the handler should stop.
      if (Date.now() >= entry.leaseUntil) this.abort(entry, 'lease');
    } finally {
      entry.beating = false;
    }
  }

  private abort(entry: RunningJob, cause: AbortCause): void {
    abortRunningJob(entry, cause);
  }

  private abandon(entry: RunningJob, cause: AbortCause): void {
    clearInterval(entry.heartbeat);
    entry.abandoned = true;
    this.abort(entry, cause);
  }

  private halt(): void {
    clearTimeout(this.timer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private async drain(): Promise<void> {
    if (this.state === 'started') this.state = 'stopping';
    this.halt();
    await this.polling;
    const settled = () => Promise.allSettled([...this.running.values()].map((e) => e.done));
    if (!(await settledWithin(settled(), this.stopTimeoutMs))) {
      for (const entry of this.running.values()) this.abort(entry, 'stop');
      if (!(await settledWithin(settled(), ABORT_SETTLE_MS))) {
        // Handlers that ignore their signal: their leases run out and another worker takes the jobs.
        for (const entry of this.running.values()) this.abandon(entry, 'stop');
      }
    }
    if (this.state === 'stopping') this.state = 'stopped';
  }
}
