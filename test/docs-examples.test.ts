// The runnable examples of docs/client.md, docs/cli.md and docs/mcp.md, run as written against a live server: a doc
// whose example stops working fails here.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { accountWithKey } from './support/fixtures.ts';
import { jpeg } from './support/images.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// Each case starts the real binary (TypeScript compiled at start) several times: on a busy two-core machine one
// start can take seconds, so these cases get more than the suite's 30 s.
vi.setConfig({ testTimeout: 180_000 });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let server: TestServer;
let sources: Awaited<ReturnType<typeof startProductSource>>;
let scratch: string;

beforeAll(async () => {
  sources = await startProductSource();
  server = await startTestServer({ LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32' });
  // Inside the repository, so `lightbox/client` resolves to this package as it does for an installed one.
  await mkdir(path.join(ROOT, '.scratch'), { recursive: true });
  scratch = await mkdtemp(path.join(ROOT, '.scratch', 'docs-examples-'));
});

afterAll(async () => {
  await server?.close();
  await sources?.close();
  await rm(scratch, { recursive: true, force: true });
});

/** The first fenced block of `lang` after the `## Example` heading of a doc. */
async function example(doc: string, lang: string): Promise<string> {
  const text = await readFile(path.join(ROOT, 'docs', doc), 'utf8');
  const section = text.slice(text.indexOf('\n## Example'));
  const match = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(section);
  if (!match?.[1]) throw new Error(`no ${lang} example in docs/${doc}`);
  return match[1];
}

function run(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('LIGHTBOX_')),
  );
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(command, args, { cwd, env: { ...clean, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

async function keyEnv() {
  const { key } = await accountWithKey(server, { environment: 'test' });
  return { LIGHTBOX_URL: server.url, LIGHTBOX_API_KEY: key.key };
}

it('docs/client.md: the example uploads, lists and enhances', async () => {
  const dir = await mkdtemp(path.join(scratch, 'client-'));
  await writeFile(path.join(dir, 'example.ts'), await example('client.md', 'ts'));
  await writeFile(path.join(dir, 'photo.jpg'), await jpeg(80, 60));
  const result = await run(
    process.execPath,
    ['--import', 'tsx', 'example.ts', 'photo.jpg', `${sources.base}/shoe.jpg`],
    dir,
    await keyEnv(),
  );
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/uploaded \w{8} http:\/\/127\.0\.0\.1:\d+\/src\/\S+\.webp\?w=320/);
  expect(result.stdout).toContain('1 media tagged docs');
  expect(result.stdout).toMatch(/sku-1 completed http/);
});

it('docs/cli.md: the example runs start to end', async () => {
  const dir = await mkdtemp(path.join(scratch, 'cli-'));
  await mkdir(path.join(dir, 'photos'));
  for (const name of ['a.jpg', 'b.jpg']) await writeFile(path.join(dir, 'photos', name), await jpeg(40, 30));
  await writeFile(path.join(dir, 'products.csv'), `source_url,external_id\n${sources.base}/p.jpg,sku-1\n`);
  const script = `set -euo pipefail\nlightbox() { node "${ROOT}/bin/lightbox.js" "$@"; }\n${await example('cli.md', 'sh')}`;
  const result = await run('bash', ['-c', script], dir, { ...(await keyEnv()), XDG_CONFIG_HOME: dir });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain('2 done, 0 skipped, 0 failed');
  expect(result.stdout).toContain('0 done, 2 skipped, 0 failed');
  expect(result.stdout).toMatch(/\.webp\?w=640/);
  expect(await readFile(path.join(dir, 'results.csv'), 'utf8')).toMatch(/sku-1.*completed/);
  expect(result.stdout).toMatch(/Deleted 1/);
});

it('docs/mcp.md: the example lists the tools and calls two', async () => {
  const dir = await mkdtemp(path.join(scratch, 'mcp-'));
  await writeFile(path.join(dir, 'mcp-example.ts'), await example('mcp.md', 'ts'));
  const result = await run(
    process.execPath,
    ['--import', 'tsx', 'mcp-example.ts', `${sources.base}/photo.jpg`],
    dir,
    await keyEnv(),
  );
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain('upload_image, import_image');
  expect(result.stdout).toMatch(/url: 'http:\/\/127\.0\.0\.1:\d+\/src\/\S+\?size=social'/);
});
