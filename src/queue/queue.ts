import type { Static, TSchema } from '@sinclair/typebox';
import type { Log } from '../lib/log.ts';
import type { RetryBackoff } from './retry-backoff.ts';

/**
 * One kind of job, as the queue knows it: its name, the schema of its payload and its attempt limit. A constant in
 * the domain folder that owns the job; the handler is given separately, at `start`, so that enqueueing needs no
 * handler and no handler's dependencies.
 */
export interface JobSpec<S extends TSchema = TSchema, N extends string = string> {
  readonly name: N;
  /** Checked at enqueue and again before every attempt, on the JSON copy. */
  readonly payload: S;
  /** Starts allowed, crashed ones included. Default `DEFAULT_MAX_ATTEMPTS`. */
  readonly maxAttempts?: number;
}

/** The payload type of a spec. */
export type JobPayload<J extends JobSpec> = Static<J['payload']>;

/** Lets the compiler keep the spec's name and schema types where it is written. */
export function jobSpec<const N extends string, S extends TSchema>(spec: {
  name: N;
  payload: S;
  maxAttempts?: number;
}): JobSpec<S, N> {
  return spec;
}

/**
 * What runs a job. Delivery is at least once (a worker can die after the work but before recording it), so `handle`
 * and `onExhausted` must be idempotent.
 */
export interface JobHandler<P> {
  handle(payload: P, ctx: JobContext): Promise<void>;
  /**
   * Runs once the last attempt has failed, before the job is marked dead. If it throws, it is retried with backoff
   * until it succeeds, so it must be idempotent. After a crash, `error` is an `Error` carrying the last message only.
   */
  onExhausted?(payload: P, error: unknown): Promise<void>;
}

/** One handler per spec of the union `J`, keyed by job name: a missing one is a compile error. */
export type JobHandlers<J extends JobSpec = JobSpec> = {
  [K in J as K['name']]: JobHandler<JobPayload<K>>;
};

export interface JobContext {
  jobId: string;
  /** 1-based number of this start. */
  attempt: number;
  maxAttempts: number;
  /** Aborts when the lease is lost (another worker may run the job now), on `close()`, or when `stop()` gives up. */
  signal: AbortSignal;
}

export interface EnqueueOptions {
  /** Earliest start, from now. */
  delayMs?: number;
  /** While a job with this name and key exists (queued, running or dead), enqueueing again returns it. */
  dedupeKey?: string;
}

export interface StartOptions<J extends JobSpec = JobSpec> {
  /** At most this many handlers at once in this instance. */
  concurrency: number;
  /** Exactly one per spec the queue was created with; `start` throws naming any missing or unknown one. */
  handlers: JobHandlers<J>;
}

/**
 * The job queue port, created with the specs `J` of every job it may carry. Both backends (sql-queue, bullmq-queue)
 * behave the same; see README.md.
 */
export interface JobQueue<J extends JobSpec = JobSpec> {
  /**
   * Throws `UnknownJobError` (a spec the queue was not created with) or `InvalidJobPayloadError` for a bad request,
   * `QueueUnavailableError` when the backend cannot take the job (nothing was queued then, unless it was already
   * there).
   */
  enqueue<S extends JobSpec>(job: S, payload: JobPayload<S>, opts?: EnqueueOptions): Promise<{ id: string }>;
  /** Begins running jobs in this process with the given handlers. Once per instance. */
  start(options: StartOptions<J>): void;
  /**
   * Stops taking jobs and waits for running handlers, up to `stopTimeoutMs`; then aborts them and puts their jobs
   * back in the queue. Resolves when done; idempotent.
   */
  stop(): Promise<void>;
  ping(): Promise<void>;
  /**
   * How many jobs of each name the queue holds (all instances, not only this one), one row per spec it was created
   * with, zeros included. For metrics, read at scrape time; bounded in cost whatever the queue's size.
   */
  stats(): Promise<JobStats[]>;
  /**
   * The newest dead jobs (out of attempts, kept for inspection) of the specs the queue was created with, newest
   * first, at most `limit`: what failed and why, for the operator's status page. Bounded in cost like `stats`.
   */
  deadJobs(limit: number): Promise<DeadJob[]>;
  /**
   * Releases connections at once. Handlers still running are abandoned as in a crash (their jobs return after the
   * lease expires): call `stop()` first for a graceful shutdown. Never closes a store it was given.
   */
  close(): Promise<void>;
}

export interface JobStats {
  name: string;
  /** Due and waiting for a worker. */
  waiting: number;
  /** Waiting for their delay or retry backoff to pass. */
  delayed: number;
  running: number;
  /** Out of attempts, kept for inspection. */
  dead: number;
  /** How long the oldest waiting job has been due (0 when none waits). See README.md for BullMQ's estimate. */
  oldestWaitingMs: number;
}

export interface DeadJob {
  id: string;
  name: string;
  /** Starts it had (crashed ones included). */
  attempts: number;
  /** The last error as recorded (`Name: message`), or null when none was. */
  error: string | null;
  /** When it died (Unix ms). */
  diedAt: number;
}

/** Tuning shared by both backends; every field has a production default. */
export interface QueueOptions {
  /** How long a claimed job stays owned without a heartbeat: a dead worker's jobs run again after this. */
  leaseMs?: number;
  retry?: Partial<RetryBackoff>;
  stopTimeoutMs?: number;
  defaultMaxAttempts?: number;
  log?: Log;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

export class QueueUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('job queue unavailable', { cause });
    this.name = 'QueueUnavailableError';
  }
}

export class UnknownJobError extends Error {
  constructor(readonly jobName: string) {
    super(`no job named ${JSON.stringify(jobName)} in the queue's specs`);
    this.name = 'UnknownJobError';
  }
}

export class InvalidJobPayloadError extends Error {
  constructor(
    readonly jobName: string,
    cause: unknown,
  ) {
    super(`invalid payload for job ${JSON.stringify(jobName)}: ${errorMessage(cause)}`, { cause });
    this.name = 'InvalidJobPayloadError';
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
