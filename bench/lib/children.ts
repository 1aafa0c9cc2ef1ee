// Child processes of the benchmarks (a Lightbox server, the ipx peer): start, wait until they answer, sample
// their memory, stop them. Everything listens on 127.0.0.1 only; output goes to a log file, not through us.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** Resident set size of the child in bytes (Linux /proc), or null when it is gone. */
  rss(): Promise<number | null>;
  /** Cumulative user + system CPU time of the child in seconds (Linux /proc), or null. */
  cpuSeconds(): Promise<number | null>;
  stop(): Promise<void>;
}

export { freePort } from '../../test/support/processes.ts';

const CLOCK_TICKS = 100;

/** Starts `node <args>` and waits (bounded by `timeoutMs`) until GET `<url><probe>` answers 2xx. */
export async function startChild(options: {
  args: string[];
  env: Record<string, string>;
  port: number;
  probe: string;
  logFile: string;
  cwd?: string;
  timeoutMs?: number;
}): Promise<Child> {
  const url = `http://127.0.0.1:${options.port}`;
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tail = async () => (await readFile(options.logFile, 'utf8').catch(() => '')).slice(-4000);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}):\n${await tail()}`);
    try {
      const response = await fetch(`${url}${options.probe}`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`child did not answer within ${options.timeoutMs ?? 30_000} ms:\n${await tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pid = child.pid ?? 0;
  return {
    process: child,
    pid,
    url,
    async rss() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      return kb ? Number(kb) * 1024 : null;
    },
    async cpuSeconds() {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      // Fields after the command name (which may contain spaces): utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const utime = Number(fields[11]);
      const stime = Number(fields[12]);
      return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLOCK_TICKS : null;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
