import { recentFailedItems } from '../enhancements/enhancement-reads.ts';
import type { DeadJob, JobQueue, JobStats } from '../queue/queue.ts';
import type { Store } from '../store/store.ts';
import { listDeliveries } from '../webhooks/webhook-admin.ts';

/** A readiness probe of the composition root (`Services.readiness`): resolves when its backend answers. */
export type ReadinessProbe = () => Promise<void>;

/** What a probe found: `failing` carries the error it threw. */
export interface ProbeResult {
  name: string;
  ok: boolean;
  error?: unknown;
}

/** A probe that has not answered after this long is failing: a hung backend must not hang the page. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * Runs every readiness probe at once and reports each: the one definition of "ready" that `/readyz` and the
 * operator's status page share.
 */
export async function probeReadiness(
  readiness: Readonly<Record<string, ReadinessProbe>>,
): Promise<ProbeResult[]> {
  return Promise.all(
    Object.entries(readiness).map(async ([name, probe]) => {
      try {
        await withTimeout(probe(), PROBE_TIMEOUT_MS, `${name} did not answer within ${PROBE_TIMEOUT_MS} ms`);
        return { name, ok: true };
      } catch (error) {
        return { name, ok: false, error };
      }
    }),
  );
}

export interface StatusDeps {
  store: Store;
  queue: Pick<JobQueue, 'stats' | 'deadJobs'>;
  readiness: Readonly<Record<string, ReadinessProbe>>;
  /** Components that say how well the server works without making it unready (segmentation). */
  advisories: Readonly<Record<string, () => { state: string; message?: string }>>;
}

/** A section of the page that could be read, or why it could not (one unreachable backend blanks only its part). */
export type Section<T> = { ok: true; value: T } | { ok: false; message: string };

/** How many recent failures of each kind the page lists. */
const RECENT = 20;

/**
 * Everything the operator's status page shows (docs/web.md, "Operator pages"): the readiness of each port, the
 * advisories, the job queue per job name (depth, oldest waiting job), and the recent failures — dead jobs, failed
 * enhancement items and webhook events out of retries. Read-only.
 */
export async function systemStatus(deps: StatusDeps) {
  const [probes, queue, deadJobs, failedItems, failedDeliveries] = await Promise.all([
    probeReadiness(deps.readiness),
    section<JobStats[]>(() => deps.queue.stats()),
    section<DeadJob[]>(() => deps.queue.deadJobs(RECENT)),
    section(() => recentFailedItems(deps.store.db, RECENT)),
    section(async () => (await listDeliveries(deps.store, { status: 'failed', limit: RECENT })).data),
  ]);
  return {
    checkedAt: Date.now(),
    ready: probes.every((p) => p.ok),
    checks: probes.map((p) => ({
      name: p.name,
      state: p.ok ? ('ok' as const) : ('failing' as const),
      ...(p.ok ? {} : { message: messageOf(p.error) }),
    })),
    advisories: Object.entries(deps.advisories).map(([name, health]) => ({ name, ...health() })),
    queue,
    deadJobs,
    failedItems,
    failedDeliveries,
  };
}

export type SystemStatus = Awaited<ReturnType<typeof systemStatus>>;

async function section<T>(read: () => Promise<T>): Promise<Section<T>> {
  try {
    return { ok: true, value: await withTimeout(read(), PROBE_TIMEOUT_MS, 'no answer in time') };
  } catch (error) {
    return { ok: false, message: messageOf(error) };
  }
}

/** The first line of an error's message, bounded: enough to say what broke, never a stack. */
function messageOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${text}${cause}`.split('\n')[0]?.slice(0, 300) ?? '';
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
