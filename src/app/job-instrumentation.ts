import type { Log } from '../lib/log.ts';
import type { MetricsRegistry } from '../metrics/metrics-registry.ts';
import type { JobContext, JobHandler, JobHandlers, JobSpec } from '../queue/queue.ts';

/** Payload fields that name a record (`itemId`, `media_id`): put in the job's log lines, snake_cased. */
const ID_FIELD = /(?:^id|_id|[a-z]Id)$/;

/**
 * Wraps every handler so each attempt writes one line when it starts and one when it ends (job name, id, attempt,
 * duration, outcome, and the ids in its payload), and counts it in the metrics. Backend-agnostic: the queue sees
 * the same handlers, with an `onExhausted` that also counts exhaustion (and does nothing else when the job had none).
 */
export function instrumentJobHandlers<J extends JobSpec>(
  handlers: JobHandlers<J>,
  deps: { logger: Log; metrics: Pick<MetricsRegistry, 'jobRun' | 'jobExhausted'> },
): JobHandlers<J> {
  const wrapped: Record<string, JobHandler<unknown>> = {};
  for (const [name, handler] of Object.entries(handlers) as [string, JobHandler<unknown>][]) {
    wrapped[name] = {
      async handle(payload, ctx) {
        const line = { job: name, job_id: ctx.jobId, attempt: ctx.attempt, ...idsOf(payload) };
        deps.logger.info({ ...line, max_attempts: ctx.maxAttempts }, 'job started');
        const started = performance.now();
        try {
          await handler.handle(payload, ctx);
        } catch (error) {
          const outcome = outcomeOfFailure(ctx);
          const seconds = (performance.now() - started) / 1000;
          deps.metrics.jobRun(name, outcome, seconds);
          deps.logger.warn(
            { ...line, duration_ms: Math.round(seconds * 1000), outcome, error: describe(error) },
            'job finished',
          );
          throw error;
        }
        const seconds = (performance.now() - started) / 1000;
        deps.metrics.jobRun(name, 'completed', seconds);
        deps.logger.info(
          { ...line, duration_ms: Math.round(seconds * 1000), outcome: 'completed' },
          'job finished',
        );
      },
      async onExhausted(payload, error) {
        await handler.onExhausted?.(payload, error);
        // Counted once it succeeded: a failing onExhausted is retried and would count twice.
        deps.metrics.jobExhausted(name);
      },
    };
  }
  return wrapped as JobHandlers<J>;
}

/** The attempt lost its job (lease gone) or was stopped by a shutdown: not the handler's failure. */
function outcomeOfFailure(ctx: JobContext): 'failed' | 'interrupted' {
  return ctx.signal.aborted ? 'interrupted' : 'failed';
}

function idsOf(payload: unknown): Record<string, string> {
  if (typeof payload !== 'object' || payload === null) return {};
  const ids: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (typeof value === 'string' && ID_FIELD.test(key))
      ids[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  }
  return ids;
}

/** `Name: message`, without the stack (the queue logs the full error of a failed attempt). */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
