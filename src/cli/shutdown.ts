import type { Log } from '../lib/log.ts';

/** What a serving process stops, in this order. */
export interface Drainable {
  /** The main port: `close()` stops accepting, answers 503 on kept-alive connections, and waits for requests. */
  http: { close(): Promise<unknown>; server: { closeAllConnections(): void; closeIdleConnections(): void } };
  /** Stops taking jobs and waits for running ones (the queue hands back what outlives its stop timeout). */
  worker: () => Promise<void>;
  /** The metrics port, closed after the drain so a scrape can still watch it. */
  metrics: { close(): Promise<void> } | null;
  /** The ports: queue, store, blobs, limiter, mail. */
  backends: { close(): Promise<void> };
  log: Log;
}

/** After the grace period, how long cut connections and closing backends get before the process gives up. */
const FORCE_EXIT_MS = 10_000;
const IDLE_SWEEP_MS = 100;

/**
 * A graceful stop: the main port stops accepting at once, requests in flight and running jobs drain in parallel
 * for up to `graceMs` (jobs still running then are aborted and handed back to the queue by `worker`), then the
 * metrics port and the backends close. Resolves with the exit code: 0 when everything finished in time, 1 when
 * requests had to be cut or a step failed.
 */
export async function shutDown(
  parts: Drainable,
  options: { signal: string; graceMs: number },
): Promise<number> {
  const { log } = parts;
  const started = Date.now();
  log.info({ signal: options.signal, grace_seconds: options.graceMs / 1000 }, 'shutting down');
  // Nothing here should hang, but a backend that does must not keep the process past its stop timeout.
  const giveUp = setTimeout(() => {
    log.error({}, 'shutdown did not finish after the grace period: exiting');
    process.exit(1);
  }, options.graceMs + FORCE_EXIT_MS);
  giveUp.unref();
  let code = 0;
  const step = async (name: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      code = 1;
      log.error({ err: error, step: name }, 'shutdown step failed');
    }
  };

  const requests = step('requests', async () => {
    const closing = parts.http.close();
    // A kept-alive connection would hold the port open until its client lets go: each one is closed as soon as
    // its request is answered (a connection between requests is idle).
    const sweep = setInterval(() => parts.http.server.closeIdleConnections(), IDLE_SWEEP_MS);
    try {
      if (await finishedWithin(closing, options.graceMs)) return;
      code = 1;
      log.warn({}, 'requests still running after the grace period: closing their connections');
      parts.http.server.closeAllConnections();
      await closing;
    } finally {
      clearInterval(sweep);
    }
  });
  const jobs = step('jobs', parts.worker);
  await Promise.all([requests, jobs]);
  log.info({ duration_ms: Date.now() - started }, 'requests and jobs drained');
  if (parts.metrics) await step('metrics port', () => parts.metrics?.close() ?? Promise.resolve());
  await step('backends', () => parts.backends.close());
  clearTimeout(giveUp);
  log.info({ duration_ms: Date.now() - started, exit_code: code }, 'stopped');
  return code;
}

async function finishedWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
