// Machine facts for honest numbers on a shared host: how much CPU other processes take while we measure, and
// a bounded wait for a quieter moment before each measurement.
import { readFile } from 'node:fs/promises';

interface Snapshot {
  /** All CPU time of the machine (jiffies, every core). */
  total: number;
  /** Busy CPU time of the machine (jiffies). */
  busy: number;
  /** Busy CPU time of our own processes (jiffies). */
  own: number;
}

async function machineTimes(): Promise<{ total: number; busy: number }> {
  const stat = await readFile('/proc/stat', 'utf8');
  const fields = (stat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { total, busy: total - idle - iowait };
}

/**
 * CPU time of a process and of its children that have exited (utime + stime + cutime + cstime): a load generator
 * run as a child (wrk) is ours too, and it has exited by the time the run is measured.
 */
async function processTimes(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const value = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(value) ? value : 0;
}

async function snapshot(pids: readonly number[]): Promise<Snapshot> {
  const [machine, ...own] = await Promise.all([machineTimes(), ...pids.map(processTimes)]);
  return { ...machine, own: own.reduce((sum, t) => sum + t, 0) };
}

/** Share of the whole machine's CPU (0–1) used by processes other than `pids` between two snapshots. */
function foreignShare(a: Snapshot, b: Snapshot): number {
  const total = b.total - a.total;
  if (total <= 0) return 0;
  return Math.max(0, (b.busy - a.busy - (b.own - a.own)) / total);
}

/** Measures what other processes take while `fn` runs. */
export async function withForeignLoad<T>(
  pids: () => readonly number[],
  fn: () => Promise<T>,
): Promise<{ value: T; foreign: number }> {
  const before = await snapshot(pids());
  const value = await fn();
  const after = await snapshot(pids());
  return { value, foreign: foreignShare(before, after) };
}

/**
 * Waits (in 1 s windows, at most `maxWaitMs`) until other processes use less than `maxForeign` of the machine.
 * Returns the last window's share; proceeds anyway when the time is up.
 */
export async function waitForQuiet(
  pids: () => readonly number[],
  options: { maxForeign: number; maxWaitMs: number },
): Promise<{ foreign: number; waitedMs: number }> {
  const start = Date.now();
  for (;;) {
    const before = await snapshot(pids());
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const foreign = foreignShare(before, await snapshot(pids()));
    const waitedMs = Date.now() - start;
    if (foreign < options.maxForeign || waitedMs >= options.maxWaitMs) return { foreign, waitedMs };
  }
}
