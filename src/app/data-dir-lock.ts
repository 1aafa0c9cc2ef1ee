import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/** The lock file's name inside the data directory. */
export const LOCK_FILE = 'lightbox.lock';

/** What the lock file says about the process holding it. */
export interface LockHolder {
  pid: number;
  host: string;
  /** Process start time in clock ticks since boot (Linux `/proc/<pid>/stat`), to tell a reused PID apart. */
  start_ticks?: number;
  started_at: string;
}

export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    readonly lockFile: string,
  ) {
    const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
    super(
      `data directory ${dataDir} is in use by process ${holder.pid}${where} (lock file ${lockFile}); stop that server, or set LIGHTBOX_DATA_DIR to another directory` +
        (where ? `; remove the lock file if that process is gone` : ''),
    );
    this.name = 'DataDirInUse';
  }
}

export interface DataDirLock {
  readonly file: string;
  /** Removes the lock file if it is still this process's. Synchronous, so it can run in an `exit` handler. */
  release(): void;
}

/**
 * Takes the data directory for this process: an exclusive lock file (`O_CREAT|O_EXCL`) holding the PID, host and
 * process start time. A lock left by a process that is gone (killed, crashed, its PID now someone else's) is taken
 * over; one held by a live process, or by a process on another host (which cannot be checked from here), is not:
 * `DataDirInUse` names the directory and the PID. Released on `release()` and when the process exits.
 */
export function lockDataDir(dataDir: string, deps: LockDeps = defaultDeps): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const self: LockHolder = {
    pid: process.pid,
    host: hostname(),
    ...optional('start_ticks', deps.startTicks(process.pid)),
    started_at: new Date().toISOString(),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify(self)}\n`, { flag: 'wx', mode: 0o644 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
    }
    const holder = readHolder(file, deps);
    if (holder && holderIsAlive(holder, deps)) throw new DataDirInUse(dataDir, holder, file);
    // Gone (or unreadable after waiting: a process that died between creating the file and writing it).
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    try {
      if (JSON.parse(readFileSync(file, 'utf8')).pid === process.pid) unlinkSync(file);
    } catch {
      // Already gone, or taken over: nothing of ours to remove.
    }
  };
  process.on('exit', release);
  return { file, release };
}

/** What the lock needs from the operating system, replaceable in tests. */
export interface LockDeps {
  /** Whether a process with this PID exists on this host. */
  processExists(pid: number): boolean;
  /** The start time of a process (clock ticks since boot), where the system tells it. */
  startTicks(pid: number): number | undefined;
  sleep(ms: number): void;
}

export const defaultDeps: LockDeps = {
  processExists(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: it exists, it is another user's.
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  startTicks(pid) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces and parentheses); starttime is field 22.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[19]);
      return Number.isSafeInteger(ticks) ? ticks : undefined;
    } catch {
      return undefined;
    }
  },
  sleep(ms) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  },
};

function holderIsAlive(holder: LockHolder, deps: LockDeps): boolean {
  if (holder.host !== hostname()) return true;
  // Our own PID in someone else's lock: a previous run in a container that restarted with the same PIDs.
  if (holder.pid === process.pid) return false;
  if (!deps.processExists(holder.pid)) return false;
  if (holder.start_ticks === undefined) return true;
  const ticks = deps.startTicks(holder.pid);
  return ticks === undefined || ticks === holder.start_ticks;
}

/** The holder written in the lock file; undefined when it stays empty or garbled (its writer died mid-write). */
function readHolder(file: string, deps: LockDeps): LockHolder | undefined {
  for (let i = 0; i < 10; i++) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
      if (Number.isSafeInteger(parsed.pid) && typeof parsed.host === 'string') return parsed as LockHolder;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    }
    // Created but not written yet by a process starting right now: give it a moment.
    deps.sleep(50);
  }
  return undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
