// wrk (C, epoll; Debian package `wrk`) as the load generator where the client's own cost would blur the result:
// cached responses take the server ~0.1 ms, and on this 2-core machine a JavaScript client spends about as much
// per request, shares the cores and adds its own garbage-collection pauses to every latency it measures.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LoadResult } from './load.ts';

const run = promisify(execFile);

/** The wrk binary on PATH, or null (the caller falls back to autocannon and says so). */
export async function findWrk(): Promise<string | null> {
  try {
    const { stdout } = await run('sh', ['-c', 'command -v wrk']);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

/** Round-robin over `paths` (each request the next one), every connection sharing one counter per thread. */
function script(paths: string[]): string {
  const list = paths.map((p) => JSON.stringify(p)).join(',\n  ');
  return `local paths = {\n  ${list}\n}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n`;
}

/** wrk prints latencies as `812.00us`, `4.21ms`, `1.02s`. */
function milliseconds(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text ?? '');
  if (!match) throw new Error(`wrk: cannot read the latency "${text}"`);
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

export async function runWrk(options: {
  wrk: string;
  url: string;
  connections: number;
  durationS: number;
  paths: string[];
  threads?: number;
}): Promise<LoadResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lightbox-wrk-'));
  try {
    const file = path.join(dir, 'paths.lua');
    await writeFile(file, script(options.paths));
    const { stdout } = await run(
      options.wrk,
      [
        `-t${options.threads ?? 2}`,
        `-c${options.connections}`,
        `-d${options.durationS}s`,
        '--timeout',
        '10s',
        '--latency',
        '-s',
        file,
        options.url,
      ],
      { timeout: (options.durationS + 30) * 1000 },
    );
    const total = Number(/(\d+) requests in ([\d.]+)(ms|s|m)/.exec(stdout)?.[1] ?? Number.NaN);
    const seconds = /requests in ([\d.]+)(ms|s|m)/.exec(stdout);
    const durationS = seconds
      ? Number(seconds[1]) * (seconds[2] === 'ms' ? 0.001 : seconds[2] === 'm' ? 60 : 1)
      : options.durationS;
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
    const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
    const socketErrors = errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
    if (!Number.isFinite(total)) throw new Error(`wrk: unexpected output\n${stdout}`);
    const ok = total - non2xx;
    return {
      ok,
      failed: non2xx + socketErrors,
      durationS,
      rps: ok / durationS,
      p50Ms: milliseconds(/\s50%\s+(\S+)/.exec(stdout)?.[1]),
      p99Ms: milliseconds(/\s99%\s+(\S+)/.exec(stdout)?.[1]),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
