// Which segmentation model a server uses, and what happens when it cannot load: an installed model makes `onnx` the
// first provider (with its profile), a model that is set but cannot load leaves the server ready with the classical
// path serving and says so in /readyz and the log, and settings that name nothing stop the server at start.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_PROFILES } from '../src/imaging/enhance/model-profiles.ts';
import {
  batchOf,
  createBatch,
  enhancementAccount,
  enhancementSuite,
  LOOPBACK_SOURCES,
  productPhoto,
  type SourceServer,
  startSourceServer,
  waitForEnhancement,
} from './support/enhancement-fixtures.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TINY_U2NET = path.join(ROOT, 'src/imaging/enhance/fixtures/tiny-u2net.onnx');

const books = enhancementSuite();
let sources: SourceServer;
const scratch: string[] = [];
const servers: TestServer[] = [];

beforeAll(async () => {
  sources = await startSourceServer();
  sources.serve('/product.jpg', await productPhoto('jpeg'), 'image/jpeg');
});

afterAll(async () => {
  for (const server of servers) books.forget(server);
  await Promise.all(servers.map((s) => s.close()));
  await sources.close();
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function dataDirWith(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-seg-'));
  scratch.push(dir);
  await mkdir(path.join(dir, 'models'));
  for (const [name, content] of Object.entries(files))
    await writeFile(path.join(dir, 'models', name), content);
  return dir;
}

async function server(env: Record<string, string>, log?: PassThrough): Promise<TestServer> {
  const started = await startTestServer(
    { ...LOOPBACK_SOURCES, LIGHTBOX_LOG_LEVEL: 'info', ...env },
    log ? { logStream: log } : {},
  );
  servers.push(started);
  return started;
}

async function readyz(s: TestServer, until: (body: { checks: Record<string, string> }) => boolean) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await s.request('GET', '/readyz');
    if (until(response.body) || Date.now() > deadline) return response;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One live item through the API; the provider whose mask made it, from the store. */
async function enhanceOne(s: TestServer): Promise<{ status: string; provider: string | null }> {
  const { key } = await enhancementAccount(s, books);
  const created = await createBatch(s, key, batchOf([`${sources.url}/product.jpg`]));
  const done = await waitForEnhancement(s, key, created.enhancement.id);
  const row = await s.services.store.db
    .selectFrom('enhancement_items')
    .select('provider')
    .where('enhancement_id', '=', created.enhancement.id)
    .executeTakeFirstOrThrow();
  return { status: done.items[0]?.status ?? '', provider: row.provider };
}

describe('segmentation model at start', () => {
  it('an installed model is used first, with its profile (U²-Net: 320², ImageNet, min-max)', async () => {
    const dataDir = await dataDirWith({ [MODEL_PROFILES.u2net.file]: '' });
    await copyFile(TINY_U2NET, path.join(dataDir, 'models', MODEL_PROFILES.u2net.file));
    const s = await server({ LIGHTBOX_DATA_DIR: dataDir });
    const ready = await readyz(s, (b) => b.checks.segmentation === 'ok');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: { store: 'ok', blobs: 'ok', queue: 'ok', segmentation: 'ok' },
    });
    // The tiny model only loads under the U²-Net profile (any other refuses its 320² input): onnx made the mask.
    expect(await enhanceOne(s)).toEqual({ status: 'completed', provider: 'onnx' });
  });

  it('a model that cannot load: ready, /readyz and the log say so, and the classical provider serves', async () => {
    const broken = path.join(await dataDirWith({}), 'broken.onnx');
    await writeFile(broken, 'this is not an ONNX model');
    const log = new PassThrough();
    let logged = '';
    log.on('data', (chunk: Buffer) => {
      logged += chunk.toString();
    });
    const s = await server({ LIGHTBOX_SEGMENTATION_MODEL: broken }, log);
    const ready = await readyz(s, (b) => b.checks.segmentation !== 'ok');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: { store: 'ok', blobs: 'ok', queue: 'ok', segmentation: 'degraded' },
      notes: { segmentation: 'onnx: the segmentation model could not be loaded; items use classical' },
    });
    // /readyz is public: no path in it. The log has the path and the reason for the operator.
    expect(ready.text).not.toContain(broken);
    const warning = logged
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .find(
        (entry) =>
          entry.msg === 'segmentation provider onnx cannot serve: the segmentation model could not be loaded',
      );
    expect(warning).toMatchObject({ level: 40, provider: 'onnx' });
    expect(warning.detail).toContain(broken);
    expect(logged).toContain('"msg":"segmentation providers"');

    expect(await enhanceOne(s)).toEqual({ status: 'completed', provider: 'classical' });
  });

  it('a profile name whose file is not installed: onnx is tried, fails over to classical, /readyz degraded', async () => {
    const s = await server({
      LIGHTBOX_DATA_DIR: await dataDirWith({}),
      LIGHTBOX_SEGMENTATION_MODEL: 'birefnet',
    });
    const ready = await readyz(s, (b) => b.checks.segmentation !== 'ok');
    expect(ready.body.checks.segmentation).toBe('degraded');
    expect(await enhanceOne(s)).toEqual({ status: 'completed', provider: 'classical' });
  });

  it('onnx alone and it cannot load: /readyz says failing (still ready for hosting), items fail with provider_error', async () => {
    const broken = path.join(await dataDirWith({}), 'broken.onnx');
    await writeFile(broken, 'not a model');
    const s = await server({ LIGHTBOX_SEGMENTATION_MODEL: broken, LIGHTBOX_ENHANCE_PROVIDERS: 'onnx' });
    const ready = await readyz(s, (b) => b.checks.segmentation !== 'ok');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.checks.segmentation).toBe('failing');
    expect(ready.body.notes.segmentation).toBe(
      'onnx: the segmentation model could not be loaded; no provider can serve: items fail',
    );
    const { key } = await enhancementAccount(s, books);
    const created = await createBatch(s, key, batchOf([`${sources.url}/product.jpg`]));
    const done = await waitForEnhancement(s, key, created.enhancement.id);
    expect(done.items[0]).toMatchObject({
      status: 'failed',
      error_code: 'provider_error',
      error_message: 'the segmentation model could not be loaded',
    });
  });

  it('no model set or installed: classical only, and /readyz has nothing to say about segmentation', async () => {
    const s = await server({});
    const ready = await s.request('GET', '/readyz');
    expect(ready.body).toEqual({ status: 'ready', checks: { store: 'ok', blobs: 'ok', queue: 'ok' } });
  });
});

describe('settings that name nothing stop `lightbox serve`', () => {
  async function serve(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const dataDir = await dataDirWith({});
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/lightbox.js'), 'serve'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: '0',
        LIGHTBOX_HOST: '127.0.0.1',
        LIGHTBOX_DATA_DIR: dataDir,
        LIGHTBOX_LOG_LEVEL: 'silent',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // Generous: on a loaded machine tsx alone can take many seconds to start the CLI.
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    return { code, stderr };
  }

  it.each([
    [
      { LIGHTBOX_ENHANCE_PROVIDERS: 'onnx,classical' },
      'LIGHTBOX_ENHANCE_PROVIDERS includes onnx, but no segmentation model is set or installed',
    ],
    [
      { LIGHTBOX_SEGMENTATION_MODEL: 'sam' },
      'LIGHTBOX_SEGMENTATION_MODEL="sam": not a model profile (isnet, u2net, birefnet, inspyrenet) nor a path',
    ],
    [
      { LIGHTBOX_SEGMENTATION_MODEL: '/srv/m.onnx', LIGHTBOX_SEGMENTATION_PROFILE: 'rmbg' },
      'LIGHTBOX_SEGMENTATION_PROFILE="rmbg": not a model profile',
    ],
  ])('%o', { timeout: 120_000 }, async (env, message) => {
    const { code, stderr } = await serve(env);
    expect(code).toBe(1);
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/\n\s+at /); // one line for the operator, no stack
  });
});
