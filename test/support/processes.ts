import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface LightboxProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * The arguments of `node` that start a server process, as the process tests run it. compose.yaml, the Dockerfile
 * and the systemd unit in docs/ use the same command (test/deployment-files.test.ts checks it).
 */
export const lightboxArgs = (role: 'api' | 'worker' | 'all'): string[] => [
  'bin/lightbox.js',
  'serve',
  '--role',
  role,
];

/** `node bin/lightbox.js serve --role <role>` as a real child process, ready when /healthz answers. */
export async function startLightboxProcess(
  role: 'api' | 'worker' | 'all',
  env: Record<string, string>,
): Promise<LightboxProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, lightboxArgs(role), {
    cwd: ROOT,
    env: {
      ...process.env,
      LIGHTBOX_LOG_LEVEL: 'warn',
      ...env,
      PORT: String(port),
      LIGHTBOX_HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000; // generous: CI machines are shared and tsx compiles on start
  for (;;) {
    if (child.exitCode !== null) throw new Error(`lightbox ${role} exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`lightbox ${role} did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => output,
    async stop() {
      // Exited, or killed by a signal (a SIGKILLed child has no exit code, only its signal).
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A throwaway redis-server on a free loopback port, stoppable and restartable on the same port. `persistent`:
 * every write in an append-only file (fsync always) in `dir`, so a restart keeps the data, as a production Redis
 * configured for a job queue does; otherwise a restart starts empty.
 */
export async function startRedisServer(options: { persistent?: { dir: string } } = {}): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const persistence = options.persistent
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.persistent.dir]
    : ['--appendonly', 'no'];
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence],
      {
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (up) return;
      if (Date.now() > deadline) throw new Error('redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs one `lightbox <args>` command to its end (backup, restore, migrate): exit code and both outputs. */
export async function runLightbox(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/lightbox.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, LIGHTBOX_LOG_LEVEL: 'warn', ...env },
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
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}
