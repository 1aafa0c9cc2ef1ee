import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUse, defaultDeps, LOCK_FILE, type LockHolder, lockDataDir } from './data-dir-lock.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lightbox-lock-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const lockFile = () => path.join(dir, LOCK_FILE);
const writeHolder = (holder: Partial<LockHolder> | string) =>
  writeFileSync(lockFile(), typeof holder === 'string' ? holder : JSON.stringify(holder));
const holderOnFile = () => JSON.parse(readFileSync(lockFile(), 'utf8')) as LockHolder;

/** A live process that is not this one (and not a Lightbox server). */
function livePeer() {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return { pid: child.pid as number, stop: () => child.kill('SIGKILL') };
}

describe('lockDataDir', () => {
  it('creates the directory and a lock naming this process; release removes it', () => {
    const nested = path.join(dir, 'a', 'b');
    const lock = lockDataDir(nested);
    const holder = JSON.parse(readFileSync(lock.file, 'utf8')) as LockHolder;
    expect(holder).toMatchObject({ pid: process.pid, host: hostname() });
    if (process.platform === 'linux') expect(holder.start_ticks).toEqual(expect.any(Number));
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    lock.release();
  });

  it('refuses a directory held by a live process, naming the directory and its PID', () => {
    const peer = livePeer();
    try {
      writeHolder({ pid: peer.pid, host: hostname(), start_ticks: defaultDeps.startTicks(peer.pid) });
      let refused: unknown;
      try {
        lockDataDir(dir);
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(DataDirInUse);
      expect((refused as Error).message).toBe(
        `data directory ${dir} is in use by process ${peer.pid} (lock file ${lockFile()}); stop that server, or set LIGHTBOX_DATA_DIR to another directory`,
      );
      expect(holderOnFile().pid).toBe(peer.pid);
    } finally {
      peer.stop();
    }
  });

  it('takes over the lock of a process that is gone', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeHolder({ pid: Number(gone.stdout.toString()), host: hostname() });
    const lock = lockDataDir(dir);
    expect(holderOnFile().pid).toBe(process.pid);
    lock.release();
  });

  it("takes over a lock whose PID now belongs to another process (start time differs), or is this process's", () => {
    const peer = livePeer();
    try {
      writeHolder({ pid: peer.pid, host: hostname(), start_ticks: 1 });
      const deps = { ...defaultDeps, startTicks: (pid: number) => (pid === peer.pid ? 2 : 3) };
      lockDataDir(dir, deps).release();
      writeHolder({ pid: process.pid, host: hostname() });
      lockDataDir(dir).release();
    } finally {
      peer.stop();
    }
  });

  it('takes over an empty or garbled lock once its writer had time to finish', () => {
    let slept = 0;
    writeHolder('');
    lockDataDir(dir, { ...defaultDeps, sleep: (ms) => (slept += ms) }).release();
    expect(slept).toBeGreaterThan(0);
    writeHolder('{"pid":');
    lockDataDir(dir, { ...defaultDeps, sleep: () => {} }).release();
  });

  it('never takes a lock held on another host (its process cannot be checked from here)', () => {
    writeHolder({ pid: 4242, host: 'elsewhere.example' });
    expect(() => lockDataDir(dir)).toThrow(
      /in use by process 4242 on host elsewhere\.example .*remove the lock file if that process is gone/,
    );
  });

  it('release leaves a lock that is no longer this process’s alone', () => {
    const lock = lockDataDir(dir);
    writeHolder({ pid: 4242, host: hostname() });
    lock.release();
    expect(holderOnFile().pid).toBe(4242);
  });
});
