import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Static, Type } from '@sinclair/typebox';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Log } from '../lib/log.ts';
import {
  InvalidJobPayloadError,
  type JobContext,
  type JobQueue,
  type JobSpec,
  jobSpec,
  UnknownJobError,
} from './queue.ts';
import type { RetryBackoff } from './retry-backoff.ts';

/**
 * Timings the suite runs with: short, so it takes seconds; each backend maps them to its own knobs. `log` is the
 * queue's log (the suite listens to it); backends pass it through.
 */
export interface ContractTuning {
  leaseMs: number;
  retry: RetryBackoff;
  stopTimeoutMs: number;
  log: Log;
}

export interface QueueTestBackend {
  /**
   * Another queue instance on the shared backend (think: another process), created with `specs`. Instances opened
   * with the same `space` see the same jobs; each test uses a fresh space and fresh job names.
   */
  open<const S extends readonly JobSpec[]>(
    specs: S,
    tuning: ContractTuning,
    space: string,
  ): Promise<JobQueue<S[number]>>;
  close(): Promise<void>;
}

const silent: Log = { info() {}, warn() {}, error() {} };
const TUNING: ContractTuning = {
  leaseMs: 300,
  retry: { baseMs: 40, capMs: 400 },
  stopTimeoutMs: 2_000,
  log: silent,
};

const N = Type.Object({ n: Type.Number() });
type N = Static<typeof N>;
/** A payload the types refuse, to check that the queue refuses it too. */
const untyped = (payload: unknown) => payload as never;

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** What every job queue backend must guarantee to the domain. */
export function queueContract(name: string, setup: () => Promise<QueueTestBackend>): void {
  describe(`job queue contract: ${name}`, () => {
    let backend: QueueTestBackend;
    let space: string;
    const opened: JobQueue[] = [];

    beforeAll(async () => {
      backend = await setup();
    });
    beforeEach(() => {
      space = randomUUID().slice(0, 8);
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((q) => q.close()));
    });
    afterAll(async () => {
      await backend.close();
    });

    const open = async <const S extends readonly JobSpec[]>(
      specs: S,
      tuning: Partial<ContractTuning> = {},
    ) => {
      const queue = await backend.open(specs, { ...TUNING, ...tuning }, space);
      opened.push(queue);
      return queue;
    };
    const jobName = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
    const spec = (label: string, maxAttempts?: number) =>
      jobSpec({ name: jobName(label), payload: N, ...(maxAttempts === undefined ? {} : { maxAttempts }) });

    it('runs an enqueued job once, with its payload', async () => {
      const seen: Array<{ payload: N; jobId: string; attempt: number; maxAttempts: number }> = [];
      const job = spec('echo', 4);
      const queue = await open([job]);
      const { id } = await queue.enqueue(job, { n: 7 });
      queue.start({
        concurrency: 2,
        handlers: {
          [job.name]: {
            handle: async (payload, { jobId, attempt, maxAttempts }) => {
              seen.push({ payload, jobId, attempt, maxAttempts });
            },
          },
        },
      });
      await waitFor(() => seen.length === 1);
      await sleep(200);
      expect(seen).toEqual([{ payload: { n: 7 }, jobId: id, attempt: 1, maxAttempts: 4 }]);
    });

    it('refuses unknown jobs and invalid payloads at enqueue, and queues nothing', async () => {
      let handled = 0;
      const job = spec('strict');
      const queue = await open([job]);
      await expect(queue.enqueue(job, untyped({ n: 'seven' }))).rejects.toBeInstanceOf(
        InvalidJobPayloadError,
      );
      await expect(queue.enqueue(job, untyped(undefined))).rejects.toBeInstanceOf(InvalidJobPayloadError);
      await expect(
        queue.enqueue(jobSpec({ name: 'no-such-job', payload: N }), { n: 1 }),
      ).rejects.toBeInstanceOf(UnknownJobError);
      queue.start({
        concurrency: 1,
        handlers: {
          [job.name]: {
            handle: async () => {
              handled++;
            },
          },
        },
      });
      await sleep(200);
      expect(handled).toBe(0);
    });

    it('refuses to start without exactly one handler per spec, naming the job', async () => {
      const job = spec('needed');
      const other = spec('unlisted');
      const handle = async () => {};
      const missing = await open([job]);
      expect(() => missing.start({ concurrency: 1, handlers: {} })).toThrow(job.name);
      const extra = await open([job]);
      expect(() =>
        extra.start({ concurrency: 1, handlers: { [job.name]: { handle }, [other.name]: { handle } } }),
      ).toThrow(other.name);
    });

    it('retries a failing handler with exponential backoff until it succeeds', async () => {
      const starts: Array<{ attempt: number; at: number }> = [];
      let succeeded = false;
      const job = spec('flaky', 5);
      const queue = await open([job]);
      await queue.enqueue(job, { n: 1 });
      queue.start({
        concurrency: 1,
        handlers: {
          [job.name]: {
            handle: async (_, { attempt }) => {
              starts.push({ attempt, at: Date.now() });
              if (attempt < 3) throw new Error(`flaky ${attempt}`);
              succeeded = true;
            },
          },
        },
      });
      await waitFor(() => succeeded);
      await sleep(200);
      expect(starts.map((s) => s.attempt)).toEqual([1, 2, 3]);
      // Equal jitter: the delay after start k is at least half of base · 2^(k-1).
      expect(starts[1]!.at - starts[0]!.at).toBeGreaterThanOrEqual(TUNING.retry.baseMs / 2 - 2);
      expect(starts[2]!.at - starts[1]!.at).toBeGreaterThanOrEqual(TUNING.retry.baseMs - 2);
    });

    it('calls onExhausted once after the last attempt, then keeps the dead job and its dedupe key', async () => {
      const attempts: number[] = [];
      const exhausted: Array<{ payload: N; message: string }> = [];
      const job = spec('doomed', 2);
      const queue = await open([job]);
      const first = await queue.enqueue(job, { n: 3 }, { dedupeKey: 'only-once' });
      queue.start({
        concurrency: 1,
        handlers: {
          [job.name]: {
            handle: async (_, { attempt }) => {
              attempts.push(attempt);
              throw new Error(`doomed ${attempt}`);
            },
            onExhausted: async (payload, error) => {
              exhausted.push({ payload, message: (error as Error).message });
            },
          },
        },
      });
      await waitFor(() => exhausted.length === 1);
      await sleep(400);
      expect(attempts).toEqual([1, 2]);
      expect(exhausted).toEqual([{ payload: { n: 3 }, message: 'doomed 2' }]);
      const again = await queue.enqueue(job, { n: 3 }, { dedupeKey: 'only-once' });
      expect(again.id).toBe(first.id);
      await sleep(200);
      expect(attempts).toEqual([1, 2]);
    });

    it('retries onExhausted until it succeeds, with the name and message of the last error', async () => {
      let hookCalls = 0;
      let attempts = 0;
      const errors: Array<[string, string]> = [];
      const job = spec('hook', 1);
      const queue = await open([job]);
      await queue.enqueue(job, { n: 1 });
      queue.start({
        concurrency: 1,
        handlers: {
          [job.name]: {
            handle: async () => {
              attempts++;
              throw Object.assign(new Error('disk full: /blobs'), { name: 'StorageFailure' });
            },
            onExhausted: async (_, error) => {
              hookCalls++;
              errors.push([(error as Error).name, (error as Error).message]);
              if (hookCalls === 1) throw new Error('ledger unavailable');
            },
          },
        },
      });
      await waitFor(() => hookCalls === 2);
      await sleep(300);
      expect([attempts, hookCalls]).toEqual([1, 2]);
      expect(errors).toEqual([
        ['StorageFailure', 'disk full: /blobs'],
        ['StorageFailure', 'disk full: /blobs'],
      ]);
    });

    it('fails a job whose payload no longer validates at run, without retry', async () => {
      const name = jobName('drifted');
      const lax = jobSpec({ name, payload: Type.Unknown() });
      // A release whose schema refuses what the previous one stored (n must not be negative now).
      const strict = jobSpec({
        name,
        payload: Type.Object({ n: Type.Number({ minimum: 0 }) }),
        maxAttempts: 3,
      });
      let validations = 0;
      let handled = 0;
      let exhausted = 0;
      const log: Log = {
        ...silent,
        error: (_, message) => {
          if (message === 'job payload invalid at run') validations++;
        },
      };
      const producer = await open([lax]);
      await producer.enqueue(lax, { n: -1 });
      const worker = await open([strict], { log });
      worker.start({
        concurrency: 1,
        handlers: {
          [name]: {
            handle: async () => {
              handled++;
            },
            onExhausted: async () => {
              exhausted++;
            },
          },
        },
      });
      await waitFor(() => validations === 1);
      await sleep(400);
      expect([validations, handled, exhausted]).toEqual([1, 0, 0]);
    });

    it('does not run a delayed job before its delay', async () => {
      let ranAt = 0;
      const job = spec('later');
      const queue = await open([job]);
      queue.start({
        concurrency: 1,
        handlers: {
          [job.name]: {
            handle: async () => {
              ranAt = Date.now();
            },
          },
        },
      });
      const enqueuedAt = Date.now();
      await queue.enqueue(job, { n: 1 }, { delayMs: 300 });
      await sleep(200);
      expect(ranAt).toBe(0);
      await waitFor(() => ranAt > 0);
      expect(ranAt - enqueuedAt).toBeGreaterThanOrEqual(300);
    });

    it('keeps one job per dedupe key while it exists, per job name', async () => {
      let handled = 0;
      const job = spec('once');
      const other = spec('other');
      const queue = await open([job, other]);
      const ids = await Promise.all(
        Array.from({ length: 5 }, () => queue.enqueue(job, { n: 1 }, { dedupeKey: 'item-1' })),
      );
      expect(new Set(ids.map((r) => r.id)).size).toBe(1);
      const otherName = await queue.enqueue(other, { n: 1 }, { dedupeKey: 'item-1' });
      expect(otherName.id).not.toBe(ids[0]!.id);
      queue.start({
        concurrency: 4,
        handlers: {
          [job.name]: {
            handle: async () => {
              handled++;
            },
          },
          [other.name]: { handle: async () => {} },
        },
      });
      await waitFor(() => handled === 1);
      await sleep(200);
      expect(handled).toBe(1);
      // Once the job has finished (and is gone) the key is free again.
      await queue.enqueue(job, { n: 2 }, { dedupeKey: 'item-1' });
      await waitFor(() => handled === 2);
    });

    it('never runs more than `concurrency` handlers at once', async () => {
      let inFlight = 0;
      let peak = 0;
      let done = 0;
      const job = spec('busy');
      const queue = await open([job]);
      for (let i = 0; i < 12; i++) await queue.enqueue(job, { n: i });
      queue.start({
        concurrency: 3,
        handlers: {
          [job.name]: {
            handle: async () => {
              inFlight++;
              peak = Math.max(peak, inFlight);
              await sleep(40);
              inFlight--;
              done++;
            },
          },
        },
      });
      await waitFor(() => done === 12);
      expect(peak).toBeLessThanOrEqual(3);
      expect(peak).toBeGreaterThan(1);
    });

    it('shares jobs between workers: each job runs exactly once', async () => {
      const runs: string[] = [];
      const job = spec('shared');
      const handlers = {
        [job.name]: {
          handle: async (_: N, { jobId }: JobContext) => {
            runs.push(jobId);
            await sleep(5);
          },
        },
      };
      const workers = await Promise.all(Array.from({ length: 4 }, () => open([job])));
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push((await workers[0]!.enqueue(job, { n: i })).id);
      for (const worker of workers) worker.start({ concurrency: 3, handlers });
      await waitFor(() => runs.length >= 40);
      await sleep(300);
      expect([...runs].sort()).toEqual([...ids].sort());
    });

    it('runs again, exactly once, a job whose worker died mid-run', async () => {
      const job = spec('crash', 3);
      const runs: Array<{ worker: string; attempt: number }> = [];
      let completed = 0;
      const handlers = (worker: 'A' | 'B') => ({
        [job.name]: {
          handle: async (_: N, { attempt }: JobContext) => {
            runs.push({ worker, attempt });
            if (worker === 'A') await new Promise(() => {});
            completed++;
          },
        },
      });
      const a = await open([job]);
      const b = await open([job]);
      await a.enqueue(job, { n: 1 });
      a.start({ concurrency: 1, handlers: handlers('A') });
      await waitFor(() => runs.length === 1);
      b.start({ concurrency: 1, handlers: handlers('B') });
      // A is alive and renews its lease: B must leave the job alone well past one lease.
      await sleep(TUNING.leaseMs * 3);
      expect(runs).toEqual([{ worker: 'A', attempt: 1 }]);
      await a.close();
      await waitFor(() => completed === 1);
      await sleep(TUNING.leaseMs * 2);
      expect(runs).toEqual([
        { worker: 'A', attempt: 1 },
        { worker: 'B', attempt: 2 },
      ]);
      expect(completed).toBe(1);
    });

    it('calls onExhausted, without running the handler again, when the last attempt died with its worker', async () => {
      const job = spec('last-crash', 1);
      let handled = 0;
      const exhausted: Array<[string, string]> = [];
      const handlers = (hang: boolean) => ({
        [job.name]: {
          handle: async () => {
            handled++;
            if (hang) await new Promise(() => {});
          },
          onExhausted: async (_: N, error: unknown) => {
            exhausted.push([(error as Error).name, (error as Error).message]);
          },
        },
      });
      const a = await open([job]);
      await a.enqueue(job, { n: 1 });
      a.start({ concurrency: 1, handlers: handlers(true) });
      await waitFor(() => handled === 1);
      await a.close();
      const b = await open([job]);
      b.start({ concurrency: 1, handlers: handlers(false) });
      await waitFor(() => exhausted.length === 1);
      await sleep(TUNING.leaseMs * 2);
      expect(handled).toBe(1);
      expect(exhausted).toHaveLength(1);
      expect(exhausted[0]![0]).toBe('JobInterrupted');
    });

    it('stop() waits for running handlers, and their jobs are done', async () => {
      const job = spec('graceful');
      let runs = 0;
      let finished = false;
      const handlers = {
        [job.name]: {
          handle: async () => {
            runs++;
            await sleep(250);
            finished = true;
          },
        },
      };
      const queue = await open([job]);
      await queue.enqueue(job, { n: 1 });
      queue.start({ concurrency: 1, handlers });
      await waitFor(() => runs === 1);
      await queue.stop();
      expect(finished).toBe(true);
      const next = await open([job]);
      next.start({ concurrency: 1, handlers });
      await sleep(TUNING.leaseMs * 2);
      expect(runs).toBe(1);
    });

    it('stop() is bounded: it aborts handlers that outlive the timeout and requeues their jobs at once', async () => {
      const job = spec('slow');
      const starts: number[] = [];
      let abortedWith: unknown;
      let done = false;
      const handlers = {
        [job.name]: {
          handle: async (_: N, { attempt, signal }: JobContext) => {
            starts.push(attempt);
            if (attempt > 1) {
              done = true;
              return;
            }
            await new Promise((_, reject) =>
              signal.addEventListener('abort', () => {
                abortedWith = signal.reason;
                reject(signal.reason);
              }),
            );
          },
        },
      };
      // A long lease: the job must come back because stop() released it, not because the lease ran out.
      const tuning = { stopTimeoutMs: 100, leaseMs: 5_000 };
      const first = await open([job], tuning);
      await first.enqueue(job, { n: 1 });
      first.start({ concurrency: 1, handlers });
      await waitFor(() => starts.length === 1);
      const stopAt = Date.now();
      await first.stop();
      expect(Date.now() - stopAt).toBeGreaterThanOrEqual(90);
      expect(Date.now() - stopAt).toBeLessThan(1_500);
      expect((abortedWith as Error).name).toBe('AbortError');
      const second = await open([job], tuning);
      second.start({ concurrency: 1, handlers });
      await waitFor(() => done, 2_000);
      expect(starts).toEqual([1, 2]);
    });

    it('counts jobs per name and state across instances, and how long the oldest due job has waited', async () => {
      const a = spec('stats-a', 1);
      const b = spec('stats-b');
      const queue = await open([a, b]);
      const empty = { waiting: 0, delayed: 0, running: 0, dead: 0, oldestWaitingMs: 0 };
      expect(await queue.stats()).toEqual([
        { name: a.name, ...empty },
        { name: b.name, ...empty },
      ]);
      await queue.enqueue(a, { n: 1 });
      await queue.enqueue(a, { n: 2 });
      await queue.enqueue(b, { n: 3 }, { delayMs: 3_600_000 });
      await sleep(150);
      const [waitingA, delayedB] = await queue.stats();
      expect(waitingA).toMatchObject({ name: a.name, waiting: 2, delayed: 0, running: 0, dead: 0 });
      expect(waitingA?.oldestWaitingMs).toBeGreaterThanOrEqual(140);
      expect(waitingA?.oldestWaitingMs).toBeLessThan(60_000);
      expect(delayedB).toEqual({ name: b.name, ...empty, delayed: 1 });

      // Another instance runs them: job 1 holds its slot until released, job 2 fails its only attempt (dead).
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const worker = await open([a, b]);
      worker.start({
        concurrency: 2,
        handlers: {
          [a.name]: {
            handle: async ({ n }) => {
              if (n === 1) await gate;
              else throw new Error('no more attempts');
            },
          },
          [b.name]: { handle: async () => {} },
        },
      });
      await waitFor(async () => {
        const [row] = await queue.stats();
        return row?.running === 1 && row.dead === 1;
      });
      expect((await queue.stats())[0]).toEqual({ name: a.name, ...empty, running: 1, dead: 1 });
      release();
      await waitFor(async () => (await queue.stats())[0]?.running === 0);
      expect(await queue.stats()).toEqual([
        { name: a.name, ...empty, dead: 1 },
        { name: b.name, ...empty, delayed: 1 },
      ]);
    });

    it('lists dead jobs newest first with their attempts and last error, across instances, bounded by the limit', async () => {
      const doomed = spec('dead-list', 2);
      const fine = spec('dead-list-ok');
      const queue = await open([doomed, fine]);
      expect(await queue.deadJobs(10)).toEqual([]);
      const ids: string[] = [];
      for (const n of [1, 2, 3]) ids.push((await queue.enqueue(doomed, { n })).id);
      await queue.enqueue(fine, { n: 0 });
      // Another instance runs them one at a time, so they die in order.
      const worker = await open([doomed, fine]);
      worker.start({
        concurrency: 1,
        handlers: {
          [doomed.name]: {
            handle: async ({ n }, { attempt }) => {
              throw new TypeError(`job ${n} attempt ${attempt}`);
            },
          },
          [fine.name]: { handle: async () => {} },
        },
      });
      await waitFor(async () => (await queue.deadJobs(10)).length === 3, 10_000);
      const dead = await queue.deadJobs(10);
      expect(new Set(dead.map((d) => d.id))).toEqual(new Set(ids));
      for (const job of dead) {
        expect(job).toMatchObject({ name: doomed.name, attempts: 2 });
        expect(job.error).toMatch(/^TypeError: job [123] attempt 2$/);
        expect(job.diedAt).toBeGreaterThan(Date.now() - 60_000);
        expect(job.diedAt).toBeLessThanOrEqual(Date.now());
      }
      const times = dead.map((d) => d.diedAt);
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(await queue.deadJobs(2)).toEqual(dead.slice(0, 2));
      // A queue created without the spec does not list its jobs.
      const other = await open([fine]);
      expect(await other.deadJobs(10)).toEqual([]);
    });

    it('answers ping and closes idempotently', async () => {
      const queue = await open([]);
      await queue.ping();
      await queue.stop();
      await queue.close();
      await queue.close();
    });
  });
}
