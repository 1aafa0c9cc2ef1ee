// The MCP tools through both transports, driven by the SDK's own client against a live server: `/mcp` (Streamable
// HTTP) in-process, and `lightbox mcp` (stdio) as the real binary.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MCP_TOOLS } from '../src/mcp/mcp-server.ts';
import { accountWithKey } from './support/fixtures.ts';
import { jpeg, png } from './support/images.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// Each case starts the real binary (TypeScript compiled at start) several times: on a busy two-core machine one
// start can take seconds, so these cases get more than the suite's 30 s.
vi.setConfig({ testTimeout: 180_000 });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let server: TestServer;
let sources: Awaited<ReturnType<typeof startProductSource>>;
const clients: Client[] = [];

beforeAll(async () => {
  sources = await startProductSource();
  server = await startTestServer({
    LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32',
    LIGHTBOX_MCP_MAX_BODY_MB: '1',
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.close();
  await sources?.close();
});

async function httpClient(key: string): Promise<Client> {
  const client = new Client({ name: 'lightbox-test', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  clients.push(client);
  return client;
}

/** `lightbox mcp` as a host starts it; `login` is written as `lightbox login` saves it. */
async function stdioClient(
  env: Record<string, string>,
  login?: { url: string; api_key: string },
): Promise<Client> {
  const configHome = await mkdtemp(path.join(tmpdir(), 'lightbox-mcp-'));
  if (login) {
    await mkdir(path.join(configHome, 'lightbox'), { recursive: true });
    await writeFile(path.join(configHome, 'lightbox', 'config.json'), JSON.stringify(login), { mode: 0o600 });
  }
  const client = new Client({ name: 'lightbox-test', version: '1' });
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name, v]) => !name.startsWith('LIGHTBOX_') && v !== undefined),
  ) as Record<string, string>;
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [path.join(ROOT, 'bin/lightbox.js'), 'mcp'],
      cwd: ROOT,
      env: { ...clean, XDG_CONFIG_HOME: configHome, ...env },
      stderr: 'pipe',
    }),
  );
  clients.push(client);
  return client;
}

type ToolAnswer = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { text: string }[];
};

/** Calls a tool; `ok: true` expects success, `ok: false` a tool error. Returns the structured answer. */
async function call(client: Client, name: string, args: Record<string, unknown>, ok = true) {
  const answer = (await client.callTool({ name, arguments: args })) as ToolAnswer;
  expect(Boolean(answer.isError), `${name}: ${answer.content[0]?.text}`).toBe(!ok);
  expect(
    JSON.parse(
      answer.content[0]?.text
        .split('\n')
        .slice(ok ? 0 : 1)
        .join('\n') ?? '',
    ),
  ).toEqual(answer.structuredContent);
  // biome-ignore lint/suspicious/noExplicitAny: tool answers are arbitrary JSON.
  return answer.structuredContent as any;
}

describe('/mcp (Streamable HTTP)', () => {
  it('without a valid key answers 401 before anything else', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    for (const authorization of [undefined, 'Bearer img_live_notarealkey', 'Basic abc']) {
      const response = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(authorization ? { authorization } : {}),
        },
        body,
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    await expect(httpClient('img_live_notarealkey')).rejects.toThrow();
    const { key } = await accountWithKey(server);
    const get = await fetch(`${server.url}/mcp`, { headers: { authorization: `Bearer ${key.key}` } });
    expect(get.status).toBe(405);
  });

  it('serves the whole registry, without local paths', async () => {
    const { key } = await accountWithKey(server);
    const client = await httpClient(key.key);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(MCP_TOOLS.map((t) => t.name));
    const upload = tools.find((t) => t.name === 'upload_image');
    expect(Object.keys(upload?.inputSchema.properties ?? {})).not.toContain('path');
    expect(tools.find((t) => t.name === 'delete_media')?.annotations?.destructiveHint).toBe(true);
  });

  it('every hosting tool works, and failures are tool errors with the family code', async () => {
    const { key } = await accountWithKey(server);
    const client = await httpClient(key.key);
    const bytes = await png(120, 80);
    const uploaded = await call(client, 'upload_image', {
      base64: `data:image/png;base64,${bytes.toString('base64')}`,
      name: 'red kettle',
      tags: ['kitchen'],
      metadata: { sku: 'k-1' },
    });
    expect(uploaded).toMatchObject({ name: 'red kettle', format: 'png', width: 120, tags: ['kitchen'] });
    const fromUrl = await call(client, 'upload_image', {
      url: `${sources.base}/kettle.jpg`,
      name: 'blue kettle',
    });
    const imported = await call(client, 'import_image', { url: `${sources.base}/mug.jpg`, tags: ['mugs'] });
    expect([fromUrl.format, imported.tags]).toEqual(['jpeg', ['mugs']]);

    const listed = await call(client, 'list_media', { limit: 2 });
    expect(listed.data.map((m: { id: string }) => m.id)).toEqual([imported.id, fromUrl.id]);
    const found = await call(client, 'list_media', { search: 'KETTLE' });
    expect(found.data.map((m: { name: string }) => m.name).sort()).toEqual(['blue kettle', 'red kettle']);
    expect(found.complete).toBe(true);
    expect((await call(client, 'list_media', { search: 'k-1' })).data).toHaveLength(1);
    expect((await call(client, 'get_media', { id: uploaded.id })).metadata).toEqual({ sku: 'k-1' });

    const updated = await call(client, 'update_media', {
      ids: [uploaded.id],
      tags: ['sale'],
      tag_mode: 'add',
    });
    expect(updated.tags).toEqual(['kitchen', 'sale']);
    const bulk = await call(client, 'update_media', { ids: [fromUrl.id, 'nope0000'], public: false });
    expect(bulk.errors).toEqual([expect.objectContaining({ id: 'nope0000', error: 'not_found' })]);

    const { url } = await call(client, 'rendition_url', { id: uploaded.id, w: 40, format: 'webp' });
    expect((await fetch(url)).headers.get('content-type')).toBe('image/webp');
    const usage = await call(client, 'usage', {});
    expect(usage.uploads.used).toBe(3);

    expect(await call(client, 'delete_media', { ids: [uploaded.id] })).toEqual({
      id: uploaded.id,
      deleted: true,
    });
    const missing = await call(client, 'get_media', { id: uploaded.id }, false);
    expect(missing.error).toMatchObject({ family: 'hosting', code: 'not_found', status: 404 });
    const invalid = await call(
      client,
      'upload_image',
      { base64: bytes.toString('base64'), namespace: 'ok-ns', ttl: 5 },
      false,
    );
    expect(invalid.error).toMatchObject({ code: 'validation_error', errors: { ttl: [expect.any(String)] } });
    const both = await call(client, 'upload_image', { base64: 'aGk=', url: `${sources.base}/x.jpg` }, false);
    expect(both.error.code).toBe('invalid_arguments');
    const notBase64 = await call(client, 'upload_image', { base64: '%%%' }, false);
    expect(notBase64.error.code).toBe('invalid_arguments');
    const fetchFailed = await call(client, 'import_image', { url: `${sources.base}/missing.jpg` }, false);
    expect(fetchFailed.error).toMatchObject({ code: 'fetch_failed', status: 502 });
  });

  it('a request over LIGHTBOX_MCP_MAX_BODY_MB is refused unread', async () => {
    const { key } = await accountWithKey(server);
    const response = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key.key}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'upload_image', arguments: { base64: 'A'.repeat(1_200_000) } },
      }),
    });
    // Fastify's size refusal, in the hosting family's envelope like every framework 4xx (docs/api.md §2).
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ error: 'validation_error' });
  });

  it('enhancement tools: presets, create (idempotent), status (waiting), list; errors carry the code', async () => {
    const { key } = await accountWithKey(server, { environment: 'test' });
    const client = await httpClient(key.key);
    const { presets } = await call(client, 'enhancement_presets', {});
    expect(presets.length).toBeGreaterThan(0);
    const images = [{ source_url: `${sources.base}/p.jpg`, external_id: 'sku-9' }];
    const created = await call(client, 'create_enhancement', { images });
    expect(created.idempotency_key).toMatch(/^[A-Za-z0-9._:-]{8,160}$/);
    expect(created).toMatchObject({ replayed: false, enhancement: { total_items: 1, sandbox: true } });
    const again = await call(client, 'create_enhancement', {
      images,
      idempotency_key: created.idempotency_key,
    });
    expect(again).toMatchObject({ replayed: true, enhancement: { id: created.enhancement.id } });

    const status = await call(client, 'enhancement_status', { id: created.enhancement.id, wait_seconds: 60 });
    expect(status.enhancement).toMatchObject({
      status: 'completed',
      items: [{ external_id: 'sku-9', status: 'completed' }],
    });
    const listed = await call(client, 'list_enhancements', { status: 'completed' });
    expect(listed.enhancements.map((e: { id: string }) => e.id)).toEqual([created.enhancement.id]);

    const conflict = await call(
      client,
      'create_enhancement',
      { images, preservation_level: 'creative', idempotency_key: created.idempotency_key },
      false,
    );
    expect(conflict.error).toMatchObject({
      family: 'enhancement',
      code: 'idempotency_conflict',
      status: 409,
    });
    const bad = await call(client, 'enhancement_status', { id: 'not-a-uuid' }, false);
    expect(bad.error).toMatchObject({ family: 'enhancement', code: 'invalid_enhancement_id' });
  });
});

describe('lightbox mcp (stdio)', () => {
  it('with the CLI login: uploads a local file and shares the registry; errors are tool errors', async () => {
    const { key } = await accountWithKey(server);
    const client = await stdioClient({}, { url: server.url, api_key: key.key });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(MCP_TOOLS.map((t) => t.name));
    expect(Object.keys(tools.find((t) => t.name === 'upload_image')?.inputSchema.properties ?? {})).toContain(
      'path',
    );

    const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-mcp-files-'));
    const file = path.join(dir, 'local.jpg');
    await writeFile(file, await jpeg(50, 40));
    const uploaded = await call(client, 'upload_image', { path: file, tags: ['local'] });
    expect(uploaded).toMatchObject({ name: 'local.jpg', width: 50, tags: ['local'] });
    expect((await call(client, 'list_media', {})).data.map((m: { id: string }) => m.id)).toEqual([
      uploaded.id,
    ]);
    const missing = await call(client, 'upload_image', { path: path.join(dir, 'nope.jpg') }, false);
    expect(missing.error.code).toBe('file_unreadable');
    const notFound = await call(client, 'get_media', { id: 'nope0000' }, false);
    expect(notFound.error).toMatchObject({ family: 'hosting', code: 'not_found' });
  });

  it('LIGHTBOX_API_KEY overrides the login; a refused key is the family’s 401 on each call', async () => {
    const { key } = await accountWithKey(server);
    const client = await stdioClient(
      { LIGHTBOX_URL: server.url, LIGHTBOX_API_KEY: 'img_live_notarealkey' },
      { url: server.url, api_key: key.key },
    );
    const refused = await call(client, 'usage', {}, false);
    expect(refused.error).toMatchObject({ family: 'hosting', code: 'unauthorized', status: 401 });
  });
});
