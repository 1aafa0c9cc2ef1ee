// Memory of a 70 MB upload: does the server stream uploads to disk, or hold them in memory?
//
//   npx tsx bench/upload-memory.ts
//
// For each case, starts `node bin/lightbox.js serve` as a child process (temp data dir, loopback port,
// LIGHTBOX_MAX_UPLOAD_MB=80), mints a key over the operator API, warms up with a small upload, then uploads the
// file streamed from disk while sampling the child's resident memory (VmRSS in /proc/<pid>/status) every 20 ms.
// Prints baseline, peak and growth per case, and PASS/FAIL against the 64 MB growth budget. Linux only (reads
// /proc). Exit code 1 if any case fails. `BENCH_UPLOAD_MB=150` tries another size.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { freePort } from './lib/children.ts';

const MB = 1024 * 1024;
const BUDGET_MB = 64;
/** `BENCH_UPLOAD_MB` changes the file size (default 70), to see whether growth follows the file size. */
const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 70);
const TARGET_BYTES = UPLOAD_MB * MB;
const MAX_UPLOAD_MB = Math.max(80, Math.ceil(UPLOAD_MB) + 10);
const SAMPLE_MS = 20;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADMIN_TOKEN = `bench-admin-${randomBytes(16).toString('hex')}`;

interface Case {
  name: string;
  file: string;
  /** What the server should answer: the valid image is stored, the noise is refused after it was received. */
  expectStatus: number;
}

interface Result {
  name: string;
  pid: number;
  bytes: number;
  status: number;
  answer: string;
  seconds: number;
  baselineMb: number;
  peakMb: number;
  growthMb: number;
  pass: boolean;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) / 1024;
}

/** Samples RSS every 20 ms until stopped; returns the peak. */
function sampler(pid: number) {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await rssMb(pid));
      await sleep(SAMPLE_MS);
    }
  })();
  return {
    async stop(): Promise<number> {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** A valid PNG of about `bytes`: random pixels, stored uncompressed, so its size is predictable. */
async function writeNoisePng(file: string, bytes: number): Promise<void> {
  const side = Math.floor(Math.sqrt(bytes / 3));
  await sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toFile(file);
}

/** `bytes` of random data written in 1 MB pieces (never whole in this process's memory). */
async function writeNoise(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  for (let left = bytes; left > 0; left -= MB) {
    if (!out.write(randomBytes(Math.min(MB, left))))
      await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

async function json(method: string, url: string, token: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} → ${response.status} ${text}`);
  return JSON.parse(text);
}

/** A multipart upload whose file part is piped from disk: the client never holds the file either. */
async function uploadFromDisk(
  base: string,
  key: string,
  file: string,
): Promise<{ status: number; text: string }> {
  const size = (await stat(file)).size;
  const boundary = `bench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${path.basename(file)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/v1/upload`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + size + tail.length),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.write(head);
    const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
    stream.on('error', reject);
    stream.on('end', () => req.end(tail));
    stream.pipe(req, { end: false });
  });
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('server did not become ready within 30 s');
}

/** Baseline: the median RSS over a second of idling, after a warm-up upload loaded every lazy module. */
async function idleRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    samples.push(await rssMb(pid));
    await sleep(SAMPLE_MS);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? 0;
}

interface RunningServer {
  pid: number;
  base: string;
  key: string;
  stop(): Promise<void>;
}

/** `node bin/lightbox.js serve` on a loopback port with its own data dir, a verified account and a live key. */
async function startServer(dataDir: string, warmup: string): Promise<RunningServer> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'lightbox.js'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      LIGHTBOX_HOST: '127.0.0.1',
      LIGHTBOX_PUBLIC_URL: base,
      LIGHTBOX_DATA_DIR: dataDir,
      LIGHTBOX_MAX_UPLOAD_MB: String(MAX_UPLOAD_MB),
      LIGHTBOX_ADMIN_TOKEN: ADMIN_TOKEN,
      LIGHTBOX_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error('could not start the server');
    await waitReady(base, child);
    const account = await json('POST', `${base}/admin/v1/accounts`, ADMIN_TOKEN, {
      email: `bench-${Date.now()}@example.test`,
      email_verified: true,
    });
    const { key } = await json('POST', `${base}/admin/v1/accounts/${account.id}/keys`, ADMIN_TOKEN, {
      environment: 'live',
    });
    // Loads every lazy module (multipart, sharp, the blob store) before the baseline is taken.
    const warm = await uploadFromDisk(base, key, warmup);
    if (warm.status !== 201) throw new Error(`warm-up upload failed: ${warm.status} ${warm.text}`);
    return { pid, base, key, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function measure(c: Case, work: string, warmup: string): Promise<Result> {
  // A fresh server per case: memory freed by an earlier upload is not always returned to the OS, and would
  // blur the next baseline.
  const server = await startServer(await mkdtemp(path.join(work, 'data-')), warmup);
  try {
    const baselineMb = await idleRss(server.pid);
    const watch = sampler(server.pid);
    const started = performance.now();
    const answer = await uploadFromDisk(server.base, server.key, c.file);
    const seconds = (performance.now() - started) / 1000;
    await sleep(200); // whatever the request still does after answering counts too
    const peakMb = Math.max(await watch.stop(), baselineMb);
    const growthMb = peakMb - baselineMb;
    let summary = answer.text.slice(0, 120);
    try {
      const body = JSON.parse(answer.text);
      summary = body.error ? `${body.error}: ${body.message}` : `${body.format} ${body.width}x${body.height}`;
    } catch {
      // keep the raw text
    }
    return {
      name: c.name,
      pid: server.pid,
      bytes: (await stat(c.file)).size,
      status: answer.status,
      answer: summary,
      seconds,
      baselineMb,
      peakMb,
      growthMb,
      pass: growthMb < BUDGET_MB && answer.status === c.expectStatus,
    };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('this benchmark reads /proc/<pid>/status (Linux only)');
  const work = await mkdtemp(path.join(tmpdir(), 'lightbox-bench-'));
  try {
    process.stdout.write('generating test files…\n');
    const cases: Case[] = [
      {
        name: `valid ${UPLOAD_MB} MB PNG (noise): received, probed, stored`,
        file: path.join(work, 'noise.png'),
        expectStatus: 201,
      },
      {
        name: `${UPLOAD_MB} MB of random bytes: received, then refused as not an image`,
        file: path.join(work, 'noise.bin'),
        expectStatus: 500,
      },
    ];
    await writeNoisePng(cases[0]!.file, TARGET_BYTES);
    await writeNoise(cases[1]!.file, TARGET_BYTES);
    const warmup = path.join(work, 'warmup.png');
    await writeNoisePng(warmup, 200 * 1024);

    const results: Result[] = [];
    for (const c of cases) results.push(await measure(c, work, warmup));

    process.stdout.write(
      `\nupload memory (child server RSS from /proc/<pid>/status, sampled every ${SAMPLE_MS} ms)\n`,
    );
    for (const r of results) {
      process.stdout.write(
        `\n${r.name}\n` +
          `  file      ${(r.bytes / MB).toFixed(2)} MB → HTTP ${r.status} (${r.answer}) in ${r.seconds.toFixed(2)} s\n` +
          `  baseline  ${r.baselineMb.toFixed(1)} MB  (server pid ${r.pid})\n` +
          `  peak      ${r.peakMb.toFixed(1)} MB\n` +
          `  growth    ${r.growthMb.toFixed(1)} MB  (budget ${BUDGET_MB} MB) ${r.pass ? 'PASS' : 'FAIL'}\n`,
      );
    }
    process.exitCode = results.every((r) => r.pass) ? 0 : 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
