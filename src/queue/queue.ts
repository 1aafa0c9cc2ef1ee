import type { Log } from '../lib/log.ts';
import type { RetryBackoff } from './retry-backoff.ts';

/**
 * One kind of job: its name, the schema of its payload and its handler. Delivery is at least once (a worker can die
 * after the work but before recording it), so `handle` and `onExhausted` must be idempotent.
 */
export interface JobDefinition<P> {
  name: string;
  /** Returns the typed payload or throws. Runs at enqueue and again before every attempt, on the JSON copy. */
  validate(payload: unknown): P;
  handle(payload: P, ctx: JobContext): Promise<void>;
  /** Starts allowed, crashed ones included. Default `DEFAULT_MAX_ATTEMPTS`. */
  maxAttempts?: number;
  /**
   * Runs once the last attempt has failed, before the job is marked dead. If it throws, it is retried with backoff
   * until it succeeds, so it must be idempotent. After a crash, `error` is an `Error` carrying the last message only.
   */
  onExhausted?(payload: P, error: unknown): Promise<void>;
}

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

/** The job queue port. Both backends (sql-queue, bullmq-queue) behave the same; see README.md. */
export interface JobQueue {
  /**
   * Throws `UnknownJobError` or `InvalidJobPayloadError` for a bad request, `QueueUnavailableError` when the backend
   * cannot take the job (nothing was queued then, unless it was already there).
   */
  enqueue(name: string, payload: unknown, opts?: EnqueueOptions): Promise<{ id: string }>;
  /** Begins running the catalog's jobs in this process, at most `concurrency` at once. Once per instance. */
  start(options: { concurrency: number }): void;
  /**
   * Stops taking jobs and waits for running handlers, up to `stopTimeoutMs`; then aborts them and puts their jobs
   * back in the queue. Resolves when done; idempotent.
   */
  stop(): Promise<void>;
  ping(): Promise<void>;
  /**
   * Releases connections at once. Handlers still running are abandoned as in a crash (their jobs return after the
   * lease expires): call `stop()` first for a graceful shutdown. Never closes a store it was given.
   */
  close(): Promise<void>;
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
    super(`no job named ${JSON.stringify(jobName)} in the catalog`);
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

/** Lets the compiler check a definition's payload type where it is written. */
export function defineJob<P>(definition: JobDefinition<P>): JobDefinition<P> {
  return definition;
}

/** Typed enqueue: the payload must match the definition's type. */
export function enqueueJob<P>(
  queue: JobQueue,
  job: JobDefinition<P>,
  payload: P,
  opts?: EnqueueOptions,
): Promise<{ id: string }> {
  return queue.enqueue(job.name, payload, opts);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
