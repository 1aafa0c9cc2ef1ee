// `lightbox models` as an operator runs it (the real binary, a child process) against a loopback HTTPS server that
// serves a small generated model: nothing leaves the machine (LIGHTBOX_FETCH_ALLOW_CIDRS opens loopback only, and
// every profile's real URL is replaced with --url).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MODEL_PROFILES } from '../src/imaging/enhance/model-profiles.ts';
import { testCertificate } from './support/https-receiver.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const cert = testCertificate();
/** A generated model (src/imaging/enhance/fixtures/make-tiny-models.py) with U²-Net's I/O. */
const MODEL = await readFile(path.join(ROOT, 'src/imaging/enhance/fixtures/tiny-u2net.onnx'));
const MODEL_SHA = createHash('sha256').update(MODEL).digest('hex');
/** The first request to /cut.onnx sends this many bytes and drops the connection; later ones honour Range. */
const CUT_AT = 200;

let server: Server;
let origin: string;
let dataDir: string;
let requests: { path: string; range: string | undefined }[] = [];
let cutDone = false;

function serveModel(request: IncomingMessage, response: ServerResponse): void {
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  if (!range) {
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': MODEL.length });
    response.end(MODEL);
    return;
  }
  const from = Number(range[1]);
  response.writeHead(206, {
    'content-range': `bytes ${from}-${MODEL.length - 1}/${MODEL.length}`,
    'content-length': MODEL.length - from,
  });
  response.end(MODEL.subarray(from));
}

beforeAll(async () => {
  server = createServer({ key: cert.key, cert: cert.cert }, (request, response) => {
    const pathname = (request.url ?? '/').split('?')[0];
    requests.push({ path: pathname ?? '', range: request.headers.range });
    if (pathname === '/model.onnx') return serveModel(request, response);
    if (pathname === '/cut.onnx') {
      if (cutDone) return serveModel(request, response);
      cutDone = true;
      response.writeHead(200, { 'content-length': MODEL.length });
      response.write(MODEL.subarray(0, CUT_AT), () => setTimeout(() => response.destroy(), 50));
      return;
    }
    if (pathname === '/to-private') {
      response.writeHead(302, { location: 'https://10.20.30.40/model.onnx' }).end();
      return;
    }
    if (pathname === '/to-model') {
      response.writeHead(302, { location: '/model.onnx' }).end();
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-models-'));
  requests = [];
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function models(...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/lightbox.js'), 'models', ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LIGHTBOX_DATA_DIR: dataDir,
      LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
      LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const modelsDir = () => path.join(dataDir, 'models');
const installed = (file: string = MODEL_PROFILES.u2net.file) => path.join(modelsDir(), file);
const leftovers = async () => (existsSync(modelsDir()) ? await readdir(modelsDir()) : []);

describe('lightbox models pull', () => {
  it('installs a file matching the SHA-256 given, following a redirect, the licence printed before the download', async () => {
    const run = await models('pull', 'u2net', '--url', `${origin}/to-model`, '--sha256', MODEL_SHA);
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(installed())).toEqual(MODEL);
    expect(await leftovers()).toEqual([MODEL_PROFILES.u2net.file]);
    const licence = run.stdout.indexOf(`Licence of u2net: ${MODEL_PROFILES.u2net.licence}`);
    expect(licence).toBeGreaterThanOrEqual(0);
    expect(licence).toBeLessThan(run.stdout.indexOf('Downloading'));
    expect(run.stdout).toContain(`Installed u2net: ${installed()}`);
    // Not a terminal: no progress bar on stderr.
    expect(run.stderr).toBe('');
    expect(requests.map((r) => r.path)).toEqual(['/to-model', '/model.onnx']);

    // Installed: a second pull does nothing; `list` shows it, and that the server would use it.
    const again = await models('pull', 'u2net', '--url', `${origin}/model.onnx`, '--sha256', MODEL_SHA);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already installed');
    expect(requests).toHaveLength(2);
    const list = await models('list');
    expect(list.code).toBe(0);
    const row = list.stdout.split('\n').find((l) => l.startsWith('u2net '));
    expect(row).toMatch(/^u2net\s+yes, 0\.0 MB\s+176\.0 MB\s+320×320\s+used by the server$/);
    expect(list.stdout).toMatch(/^isnet\s+no\s+178\.6 MB/m);
    expect(list.stdout).toMatch(/^inspyrenet\s+no\s+no pinned file/m);
  });

  it('refuses a checksum mismatch: nothing is installed and no partial file stays', async () => {
    const wrong = 'ab'.repeat(32);
    const run = await models('pull', 'u2net', '--url', `${origin}/model.onnx`, '--sha256', wrong);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`SHA-256 mismatch: expected ${wrong}, got ${MODEL_SHA}`);
    expect(await leftovers()).toEqual([]);
  });

  it('another URL keeps the pinned size and checksum: a different file is refused', async () => {
    const run = await models('pull', 'u2net', '--url', `${origin}/model.onnx`);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`SHA-256 ${MODEL_PROFILES.u2net.download.sha256}, pinned, other URL`);
    expect(run.stderr).toContain(
      `the file has ${MODEL.length} bytes, the pinned one ${MODEL_PROFILES.u2net.download.bytes}; nothing was installed`,
    );
    expect(await leftovers()).toEqual([]);
  });

  it('resumes an interrupted download: the second run asks for the rest with Range', async () => {
    cutDone = false;
    const first = await models('pull', 'birefnet', '--url', `${origin}/cut.onnx`, '--sha256', MODEL_SHA);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/download interrupted after 0\.0 MB .*run the same command again to resume/);
    const part = `${installed(MODEL_PROFILES.birefnet.file)}.part`;
    expect((await readFile(part)).length).toBe(CUT_AT);
    expect(existsSync(installed(MODEL_PROFILES.birefnet.file))).toBe(false);

    const second = await models('pull', 'birefnet', '--url', `${origin}/cut.onnx`, '--sha256', MODEL_SHA);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('Resuming after 0.0 MB already downloaded');
    expect(requests.map((r) => r.range)).toEqual([undefined, `bytes=${CUT_AT}-`]);
    expect(await readFile(installed(MODEL_PROFILES.birefnet.file))).toEqual(MODEL);
    expect(await leftovers()).toEqual([MODEL_PROFILES.birefnet.file]);
  });

  it('a resumed file that turns out wrong is deleted whole', async () => {
    const part = `${installed()}.part`;
    await mkdir(modelsDir(), { recursive: true });
    await writeFile(part, Buffer.alloc(CUT_AT, 0x55)); // not the model's first bytes
    const run = await models('pull', 'u2net', '--url', `${origin}/model.onnx`, '--sha256', MODEL_SHA);
    expect(run.code).toBe(1);
    expect(requests.map((r) => r.range)).toEqual([`bytes=${CUT_AT}-`]);
    expect(run.stderr).toContain('SHA-256 mismatch');
    expect(await leftovers()).toEqual([]);
  });

  it('refuses a redirect to a private address, before connecting to it', async () => {
    const run = await models('pull', 'u2net', '--url', `${origin}/to-private`, '--sha256', MODEL_SHA);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('download failed: 10.20.30.40 is not a public address');
    expect(requests.map((r) => r.path)).toEqual(['/to-private']);
    expect(await leftovers()).toEqual([]);
  });

  it('refuses plain HTTP, a name that is no profile, and a profile without a pinned file unless given a checksum', async () => {
    const http = await models(
      'pull',
      'u2net',
      '--url',
      'http://127.0.0.1:9/model.onnx',
      '--sha256',
      MODEL_SHA,
    );
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('--url must be an https:// URL');

    const unknown = await models('pull', 'sam');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      '"sam" is not a model profile; profiles: isnet, u2net, birefnet, inspyrenet',
    );

    const unpinned = await models('pull', 'inspyrenet');
    expect(unpinned.code).toBe(2);
    expect(unpinned.stderr).toContain('inspyrenet has no pinned download');

    const badSha = await models('pull', 'inspyrenet', '--url', `${origin}/model.onnx`, '--sha256', 'xyz');
    expect(badSha.code).toBe(2);
    expect(badSha.stderr).toContain('--sha256 must be 64 hexadecimal digits');
    expect(requests).toEqual([]);
    expect(await leftovers()).toEqual([]);

    // With the operator's pin, the unpinned profile installs like any other.
    const pinned = await models('pull', 'inspyrenet', '--url', `${origin}/model.onnx`, '--sha256', MODEL_SHA);
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(await readFile(installed(MODEL_PROFILES.inspyrenet.file))).toEqual(MODEL);
  });
});
