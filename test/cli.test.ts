// The user CLI as a user runs it: the real binary (`bin/lightbox.js`) as a child process against a live server, with
// its own config directory (XDG_CONFIG_HOME) so nothing of the machine's login is read or written.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { accountWithKey, createAccount, grantCredits, mintKey } from './support/fixtures.ts';
import { type HttpsReceiver, startHttpsReceiver, testCertificate } from './support/https-receiver.ts';
import { jpeg, png } from './support/images.ts';
import { freePort } from './support/processes.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// Each case starts the real binary (TypeScript compiled at start) several times: on a busy two-core machine one
// start can take seconds, so these cases get more than the suite's 30 s.
vi.setConfig({ testTimeout: 180_000 });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const cert = testCertificate();
let server: TestServer;
let sources: Awaited<ReturnType<typeof startProductSource>>;
let hook: HttpsReceiver;
let work: string;
let home: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `lightbox <args>` with a scratch config dir; `env` adds variables, `input` is piped to stdin. */
function lightbox(
  args: string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
) {
  const env: Record<string, string | undefined> = { ...process.env, XDG_CONFIG_HOME: home, HOME: home };
  for (const name of Object.keys(env)) if (name.startsWith('LIGHTBOX_')) delete env[name];
  Object.assign(env, options.env);
  return new Promise<Run>((resolve) => {
    const child = execFile(
      process.execPath,
      [path.join(ROOT, 'bin/lightbox.js'), ...args],
      { cwd: options.cwd ?? work, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

const json = (run: Run) => {
  expect(run.code, run.stderr).toBeGreaterThanOrEqual(0);
  return JSON.parse(run.stdout);
};

beforeAll(async () => {
  sources = await startProductSource();
  hook = await startHttpsReceiver(cert, () => 500);
  server = await startTestServer({
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_FETCH_EXTRA_CA_FILE: cert.certFile,
    LIGHTBOX_WEBHOOK_RETRY_DELAYS: '3600',
  });
  work = await mkdtemp(path.join(tmpdir(), 'lightbox-cli-work-'));
});

afterAll(async () => {
  await hook?.close();
  await server?.close();
  await sources?.close();
  await rm(work, { recursive: true, force: true });
});

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'lightbox-cli-home-'));
});

/** A key of a fresh verified account, in the environment (LIGHTBOX_URL / LIGHTBOX_API_KEY). */
async function keyEnv(environment: 'live' | 'test' = 'live') {
  const { key } = await accountWithKey(server, { environment });
  return { LIGHTBOX_URL: server.url, LIGHTBOX_API_KEY: key.key };
}

async function imageFiles(names: string[], into = work): Promise<string[]> {
  await mkdir(into, { recursive: true });
  const files = [];
  for (const name of names) {
    const file = path.join(into, name);
    await writeFile(file, name.endsWith('.png') ? await png(32, 24) : await jpeg(32, 24));
    files.push(file);
  }
  return files;
}

describe('help and usage errors', () => {
  it('--help wins over every parser error, for the program and each command', async () => {
    const runs = await Promise.all([
      lightbox(['--help']),
      lightbox([]),
      lightbox(['upload', '--bogus', '--concurrency', 'x', '--help']),
      lightbox(['help', 'enhance']),
    ]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^Usage: lightbox/);
    }
    expect(runs[0]?.stdout).toContain('Exit codes');
    expect(runs[2]?.stdout).toContain('Usage: lightbox upload');
    expect(runs[3]?.stdout).toContain('--wait');

    // The operator commands and `mcp` (which would otherwise start serving on stdio) too.
    const [admin, mcp, serve] = await Promise.all([
      lightbox(['admin', '--bogus', '--help']),
      lightbox(['mcp', '--help']),
      lightbox(['serve', '--role', 'nope', '--help']),
    ]);
    expect([admin.code, mcp.code, serve.code]).toEqual([0, 0, 0]);
    expect(admin.stdout).toContain('webhook-deliveries');
    expect(mcp.stdout).toMatch(/^Usage: lightbox mcp/);
    expect(serve.stdout).toContain('lightbox serve [--role');
    expect(admin.stderr + mcp.stderr + serve.stderr).toBe('');
  });

  it('bad usage exits 2; no server 2; no key 4; unreachable 3', async () => {
    const port = await freePort();
    const [unknown, missing, badNumber, noServer, noKey, unreachable] = await Promise.all([
      lightbox(['frobnicate']),
      lightbox(['upload']),
      lightbox(['ls', '--limit', '0'], { env: await keyEnv() }),
      lightbox(['ls']),
      lightbox(['ls'], { env: { LIGHTBOX_URL: server.url } }),
      lightbox(['usage'], {
        env: { LIGHTBOX_URL: `http://127.0.0.1:${port}`, LIGHTBOX_API_KEY: 'img_live_x' },
      }),
    ]);
    expect([unknown.code, missing.code, badNumber.code, noServer.code]).toEqual([2, 2, 2, 2]);
    expect(noServer.stderr).toMatch(/lightbox login/);
    expect(noKey.code).toBe(4);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/cannot reach/);
  });
});

describe('login', () => {
  it('saves URL and key (mode 600) after checking the key; the environment overrides it; logout forgets', async () => {
    const { key } = await accountWithKey(server);
    const login = await lightbox(['login', '--url', server.url, '--json'], { input: `${key.key}\n` });
    expect(login.code, login.stderr).toBe(0);
    const file = path.join(home, 'lightbox', 'config.json');
    expect(JSON.parse(login.stdout)).toMatchObject({ url: server.url, config_file: file, plan: 'free' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: server.url, api_key: key.key });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(login.stdout).not.toContain(key.key);

    const usage = await lightbox(['usage', '--json']);
    expect(usage.code, usage.stderr).toBe(0);
    expect(json(usage).plan).toBe('free');

    // LIGHTBOX_API_KEY beats the saved key: a wrong one is refused (exit 4).
    const overridden = await lightbox(['usage'], { env: { LIGHTBOX_API_KEY: 'img_live_wrongwrongwrong' } });
    expect(overridden.code).toBe(4);
    expect(overridden.stderr).toMatch(/unauthorized/);

    const logout = await lightbox(['logout']);
    expect(logout.code).toBe(0);
    expect((await lightbox(['usage'])).code).toBe(2);
  });

  it('a refused key is not saved (exit 4)', async () => {
    const run = await lightbox(['login', '--url', server.url, '--api-key', 'img_live_wrongwrongwrong']);
    expect(run.code).toBe(4);
    await expect(stat(path.join(home, 'lightbox', 'config.json'))).rejects.toThrow();
  });
});

describe('upload', () => {
  it('uploads files, directories and globs with a summary; a second run skips them; deleted ones go again', async () => {
    const env = await keyEnv();
    const dir = path.join(work, `album-${Date.now()}`);
    const [one, two] = await imageFiles(['one.jpg', 'two.png'], dir);
    await imageFiles(['three.jpg', 'notes.txt'], path.join(dir, 'nested'));
    await imageFiles(['hidden.jpg'], path.join(dir, '.cache'));
    const [loose] = await imageFiles([`loose-${Date.now()}.jpg`]);

    const first = await lightbox(
      ['upload', dir, `${work}/loose-*.jpg`, '--tags', 'cli,test', '--namespace', 'cli'],
      { env },
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/SOURCE\s+STATUS\s+ID/);
    expect(first.stdout).toContain('4 done, 0 skipped, 0 failed');
    expect(first.stdout).not.toContain('notes.txt');
    expect(first.stdout).not.toContain('hidden.jpg');

    const listed = json(await lightbox(['ls', '--json', '--all'], { env }));
    expect(listed.data).toHaveLength(4);
    expect(listed.data[0]).toMatchObject({ namespace: 'cli', tags: ['cli', 'test'] });
    expect(listed.data[0].metadata.content_sha256).toMatch(/^[0-9a-f]{64}$/);

    const again = json(
      await lightbox(['upload', one as string, two as string, loose as string, '--json'], { env }),
    );
    expect(again).toMatchObject({ done: 0, skipped: 3, failed: 0 });

    const removed = again.results.find((r: { source: string }) => r.source === one).id;
    expect((await lightbox(['rm', removed], { env })).code).toBe(0);
    const third = json(await lightbox(['upload', one as string, two as string, '--json'], { env }));
    expect(third.results.map((r: { status: string }) => r.status)).toEqual(['uploaded', 'skipped']);
    const forced = json(await lightbox(['upload', two as string, '--force', '--json'], { env }));
    expect(forced).toMatchObject({ done: 1, skipped: 0 });
  });

  it('a partly failing upload exits 5; missing files exit 2', async () => {
    const env = await keyEnv();
    const [good] = await imageFiles([`good-${Date.now()}.jpg`]);
    const bad = path.join(work, 'bad.jpg');
    await writeFile(bad, 'this is not an image');
    const run = await lightbox(['upload', good as string, bad, '--json'], { env });
    expect(run.code).toBe(5);
    const body = JSON.parse(run.stdout);
    expect(body.results[1]).toMatchObject({ status: 'failed', error: { code: 'upload_failed' } });
    expect((await lightbox(['upload', path.join(work, 'nope.jpg')], { env })).code).toBe(2);
  });
});

describe('media commands', () => {
  it('import (URLs and a file of URLs), ls, get, url, rm and usage', async () => {
    const env = await keyEnv();
    const list = path.join(work, 'urls.txt');
    await writeFile(list, `# product shots\n${sources.base}/a.jpg\n\n${sources.base}/missing.jpg\n`);
    const imported = await lightbox(
      ['import', `${sources.base}/b.jpg`, list, '--json', '--tags', 'imported'],
      { env },
    );
    expect(imported.code).toBe(5);
    const body = JSON.parse(imported.stdout);
    expect(body.results.map((r: { status: string }) => r.status)).toEqual(['imported', 'imported', 'failed']);
    expect(body.results[2].error.code).toBe('fetch_failed');
    const [first] = body.results as { id: string }[];
    const id = first?.id as string;

    // Read-only commands, at once.
    const [ls, pageRun, gotRun, gotText, url, urlJson, badSize, usage] = await Promise.all([
      lightbox(['ls'], { env }),
      lightbox(['ls', '--limit', '1', '--json'], { env }),
      lightbox(['get', id, '--json'], { env }),
      lightbox(['get', id], { env }),
      lightbox(['url', id, '--w', '60', '--fit', 'cover', '--format', 'webp'], { env }),
      lightbox(['url', id, '--size', 's', '--json'], { env }),
      lightbox(['url', id, '--size', 'xl'], { env }),
      lightbox(['usage'], { env }),
    ]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/ID\s+NAME\s+FORMAT/);
    expect(ls.stdout).toContain(id);
    const page = json(pageRun);
    expect(page.data).toHaveLength(1);
    expect(page.pagination.has_more).toBe(true);

    const got = json(gotRun);
    expect(got).toMatchObject({ id, tags: ['imported'] });
    expect(gotText.stdout).toContain(got.src);

    expect(url.code).toBe(0);
    const response = await fetch(url.stdout.trim());
    expect(response.headers.get('content-type')).toBe('image/webp');
    expect(json(urlJson).url).toMatch(/\?size=s$/);
    expect(badSize.code).toBe(2);
    expect(usage.stdout).toMatch(/uploads\s+2 of 100/);

    const rm = await lightbox(['rm', id, 'nope0000', '--json'], { env });
    expect(rm.code).toBe(5);
    expect(JSON.parse(rm.stdout)).toMatchObject({
      deleted: [id],
      errors: [{ id: 'nope0000', error: 'not_found' }],
    });
    const gone = await lightbox(['get', id, '--json'], { env });
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stderr).error).toMatchObject({
      family: 'hosting',
      code: 'not_found',
      status: 404,
    });
  });
});

describe('enhance', () => {
  it('runs a CSV with --wait: item progress, a results CSV and exit 5 when some items failed', async () => {
    const env = await keyEnv('test');
    const csv = path.join(work, 'products.csv');
    await writeFile(
      csv,
      `external_id,source_url\nsku-1,${sources.base}/p1.jpg\nsku-2,${sources.base}/p2.jpg#simulate=file_too_large\n`,
    );
    const out = path.join(work, 'results.csv');
    const run = await lightbox(['enhance', csv, '--wait', '--interval', '1', '--output', out], { env });
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toMatch(/2\/2 items \(1 completed, 1 failed\) partially_completed/);
    expect(run.stdout).toContain('1 of 2 images enhanced');
    const rows = parse(await readFile(out), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.external_id, r.status, r.error_code])).toEqual([
      ['sku-1', 'completed', ''],
      ['sku-2', 'failed', 'file_too_large'],
    ]);
    expect((await fetch(rows[0]?.result_url ?? '')).status).toBe(200);

    // The same command again replays the same batch (a derived idempotency key): nothing new is created.
    const replay = json(await lightbox(['enhance', csv, '--json'], { env }));
    expect(replay.replayed).toBe(true);
    expect(replay.enhancement.id).toBe(rows[0]?.enhancement_id);
    const fresh = json(await lightbox(['enhance', csv, '--fresh', '--json'], { env }));
    expect(fresh.replayed).toBe(false);
    expect(fresh.enhancement.id).not.toBe(replay.enhancement.id);
  });

  it('more than 20 images need --wait; bad rows are usage errors', async () => {
    const env = await keyEnv('test');
    const urls = Array.from({ length: 21 }, (_, i) => `${sources.base}/p${i}.jpg`);
    const many = await lightbox(['enhance', ...urls], { env });
    expect(many.code).toBe(2);
    expect(many.stderr).toMatch(/add --wait/);
    const bad = path.join(work, 'bad.csv');
    await writeFile(bad, 'not-a-url,sku\n');
    expect((await lightbox(['enhance', bad], { env })).code).toBe(2);
  });
});

describe('lightbox admin', () => {
  it('webhook-deliveries lists an enhancement’s events with attempts; redeliver queues one again', async () => {
    const account = await createAccount(server, { verified: true });
    await grantCredits(server, account.id, 500);
    const { key } = await mintKey(server, account.id, { environment: 'live' });
    const created = await server.request('POST', '/api/v1/product-image-enhancements', {
      key,
      headers: { 'idempotency-key': `cli-admin-${Date.now()}` },
      json: { images: [{ source_url: `${sources.base}/w.jpg` }], webhook_url: hook.url },
    });
    const enhancementId = created.body.enhancement.id as string;
    const deadline = Date.now() + 30_000;
    while (hook.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

    const admin = (args: string[]) =>
      lightbox(['admin', ...args, '--url', server.url, '--token', server.adminToken]);
    const listed = await admin(['webhook-deliveries', '--enhancement', enhancementId]);
    expect(listed.code, listed.stderr).toBe(0);
    const events = JSON.parse(listed.stdout).data as { id: string; attempt_log: unknown[] }[];
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0]?.attempt_log.length).toBeGreaterThanOrEqual(1);

    const redelivered = await admin(['redeliver', events[0]?.id as string]);
    expect(redelivered.code, redelivered.stderr).toBe(0);
    expect(JSON.parse(redelivered.stdout)).toMatchObject({
      id: events[0]?.id,
      status: 'pending',
      redelivery: true,
    });
    expect((await admin(['redeliver'])).code).toBe(2);
  });
});
