import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../src/app/data-dir-lock.ts';
import { freePort, type LightboxProcess, startLightboxProcess } from './support/processes.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STARTUP_MS = 30_000;

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-hygiene-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A command run to its end (or killed after `timeoutMs`), with everything it printed. */
function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = STARTUP_MS,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, LIGHTBOX_LOG_LEVEL: 'warn', LIGHTBOX_HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const serveArgs = [path.join(ROOT, 'bin/lightbox.js'), 'serve', '--role', 'all'];

/**
 * Whether the process still runs. An orphan that exited stays a zombie until its new parent (PID 1 or a subreaper)
 * reaps it, which a busy or lazy init may take seconds to do, and `kill(pid, 0)` succeeds on a zombie.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // Gone between the two looks; or no /proc (not Linux), where the signal check is all there is.
    return !existsSync('/proc/self');
  }
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether something answers HTTP on the port. */
async function answers(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** Whether the port can be listened on again (nothing holds it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('start: settings and the data directory', () => {
  let first: LightboxProcess;
  let dir: string;
  beforeAll(async () => {
    dir = await dataDir();
    first = await startLightboxProcess('all', { LIGHTBOX_DATA_DIR: dir, LIGHTBOX_MAX_UPLAOD_MB: '5' });
  }, STARTUP_MS + 10_000);
  afterAll(async () => {
    await first?.stop();
  }, 20_000);

  it('warns about a LIGHTBOX_ variable that is no setting, suggesting the setting meant', () => {
    expect(first.output()).toContain(
      'unknown setting LIGHTBOX_MAX_UPLAOD_MB (did you mean LIGHTBOX_MAX_UPLOAD_MB?)',
    );
  });

  it(
    'a second server on the same data directory exits 1 with one line naming the directory and the PID',
    async () => {
      const port = await freePort();
      const second = await run(process.execPath, serveArgs, { LIGHTBOX_DATA_DIR: dir, PORT: String(port) });
      expect(second.code).toBe(1);
      expect(second.stderr).toBe(
        `lightbox: data directory ${dir} is in use by process ${first.child.pid} (lock file ${path.join(dir, LOCK_FILE)}); stop that server, or set LIGHTBOX_DATA_DIR to another directory\n`,
      );
      expect(await portFree(port)).toBe(true);
      // The first one is untouched: still serving, its temporary files and lock in place.
      expect((await fetch(`${first.url}/healthz`)).ok).toBe(true);
      expect(JSON.parse(await readFile(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(first.child.pid);
    },
    STARTUP_MS,
  );

  it(
    'stopping it releases the directory: the next server starts there',
    async () => {
      await first.stop();
      expect(first.child.exitCode).toBe(0);
      await expect(readFile(path.join(dir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
      first = await startLightboxProcess('all', { LIGHTBOX_DATA_DIR: dir });
      expect((await fetch(`${first.url}/healthz`)).ok).toBe(true);
    },
    STARTUP_MS + 10_000,
  );
});

describe('start: a port in use', () => {
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => holder?.close(resolve));
  });

  it(
    'exits 1 with one line naming the port and the settings, no stack, and leaves the data directory free',
    async () => {
      const dir = await dataDir();
      const result = await run(process.execPath, serveArgs, { LIGHTBOX_DATA_DIR: dir, PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `lightbox: port ${port} is in use (LIGHTBOX_HOST:PORT 127.0.0.1:${port}); stop what listens there, or set PORT to a free port\n`,
      );
      expect(result.stdout).not.toMatch(/EADDRINUSE|\n\s+at /);
      await expect(readFile(path.join(dir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
    },
    STARTUP_MS,
  );
});

describe('npm start', () => {
  /** `npm start` in the repository, serving on a free port; resolves once it answers, with the server's PID. */
  async function npmStart(): Promise<{
    npm: ChildProcess;
    serverPid: number;
    port: number;
    output: () => string;
  }> {
    const dir = await dataDir();
    const port = await freePort();
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        LIGHTBOX_LOG_LEVEL: 'warn',
        LIGHTBOX_HOST: '127.0.0.1',
        LIGHTBOX_DATA_DIR: dir,
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    npm.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    try {
      await until('npm start to answer', () => answers(port), STARTUP_MS);
    } catch (error) {
      npm.kill('SIGKILL');
      throw new Error(`${(error as Error).message}:\n${output}`);
    }
    const serverPid = JSON.parse(await readFile(path.join(dir, LOCK_FILE), 'utf8')).pid as number;
    expect(serverPid).not.toBe(npm.pid);
    return { npm, serverPid, port, output: () => output };
  }

  it.each([
    { signal: 'SIGTERM', how: 'npm passes it on' },
    { signal: 'SIGKILL', how: 'the server sees its parent go' },
  ] as const)(
    '$signal to the npm process stops the server and frees its port ($how)',
    async ({ signal }) => {
      const started = await npmStart();
      try {
        const npmExited = new Promise((resolve) => started.npm.once('exit', resolve));
        started.npm.kill(signal);
        await npmExited;
        await until('the server to exit', () => !alive(started.serverPid), 15_000);
        expect(await portFree(started.port)).toBe(true);
      } finally {
        if (alive(started.serverPid)) process.kill(started.serverPid, 'SIGKILL');
      }
    },
    STARTUP_MS + 20_000,
  );
});
