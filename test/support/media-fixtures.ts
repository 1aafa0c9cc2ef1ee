// Helpers for the hosting media suites (upload, import, management, quotas, retention) over real HTTP.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { accountWithKey, createAccount, mintKey } from './fixtures.ts';
import type { TestResponse, TestServer } from './test-server.ts';

/** The keys of the media object (docs/api.md §2.5), exactly. */
const MEDIA_KEYS = [
  'created_at',
  'date',
  'expires_at',
  'filesize',
  'format',
  'height',
  'id',
  'metadata',
  'name',
  'namespace',
  'public',
  'sizes',
  'src',
  'srcset',
  'srcset_auto',
  'tags',
  'updated_at',
  'url',
  'width',
].sort();

export const DAY_SECONDS = 86_400;
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface UploadOptions {
  key?: string;
  filename?: string;
  /** The declared type of the file part; the server must not believe it. */
  type?: string;
  fields?: Record<string, string>;
  headers?: Record<string, string>;
}

/** A multipart body as a browser or `requests` would send it: text fields first, then `file`. */
export function uploadForm(file: Buffer | null, options: UploadOptions = {}): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(options.fields ?? {})) form.append(name, value);
  if (file) {
    const blob = new Blob([new Uint8Array(file)], { type: options.type ?? 'application/octet-stream' });
    form.append('file', blob, options.filename ?? 'image.bin');
  }
  return form;
}

export function upload(server: TestServer, file: Buffer | null, options: UploadOptions = {}) {
  return server.request('POST', '/v1/upload', {
    body: uploadForm(file, options),
    ...(options.key ? { key: options.key } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
}

/** Uploads and insists on 201: for setting up media that later steps use. */
export async function uploaded(server: TestServer, file: Buffer, options: UploadOptions = {}) {
  const response = await upload(server, file, options);
  expect(response.status, `upload: ${response.text}`).toBe(201);
  return response.body as MediaBody;
}

export function importUrl(server: TestServer, body: unknown, key?: string) {
  return server.request('POST', '/v1/import', { json: body, ...(key ? { key } : {}) });
}

export interface MediaBody {
  id: string;
  name: string;
  url: string;
  src: string;
  width: number;
  height: number;
  filesize: number;
  format: string;
  namespace: string | null;
  tags: string[];
  public: boolean;
  date: string | null;
  metadata: Record<string, string>;
  sizes: { s: string; m: string; l: string };
  srcset: string;
  srcset_auto: string;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
  upgrade?: { type: string; url: string; message: string; label: string };
}

/** The media object of docs/api.md §2.5, field by field (anonymous responses also carry `upgrade`). */
export function expectMediaShape(server: TestServer, body: MediaBody, options: { anonymous?: boolean } = {}) {
  const keys = options.anonymous ? [...MEDIA_KEYS, 'upgrade'].sort() : MEDIA_KEYS;
  expect(Object.keys(body).sort()).toEqual(keys);
  expect(body.id).toMatch(/^[0-9A-Za-z]{8}$/);
  expect(body.url).toBe(`${server.url}/i/${body.id}`);
  const ext = SRC_EXTENSIONS[body.format] ?? body.format;
  const src = new RegExp(`^${escapeRegExp(server.url)}/src/([A-Za-z0-9_-]+)/${body.id}\\.${ext}$`);
  const token = src.exec(body.src)?.[1];
  expect(token, `src ${body.src}`).toBeDefined();
  // At least 64 bits of base64url: the src of a private image cannot be derived from its id.
  expect((token ?? '').length * 6).toBeGreaterThanOrEqual(64);
  expect(body.sizes).toEqual({ s: `${body.src}?size=s`, m: `${body.src}?size=m`, l: `${body.src}?size=l` });
  // `srcset`: the common widths below the image's own, then the image itself at its width.
  const widths = body.format === 'svg' ? [] : [320, 640, 960, 1280, 1920, 2560].filter((w) => w < body.width);
  const entries = (src: string) =>
    [...widths.map((w) => `${src}?w=${w} ${w}w`), `${src} ${body.width}w`].join(', ');
  expect(body.srcset).toBe(entries(body.src));
  expect(body.srcset_auto).toBe(entries(body.src.replace(/\.[a-z]+$/, '.auto')));
  for (const field of ['created_at', 'updated_at'] as const) {
    expect(Number.isInteger(body[field])).toBe(true);
    expect(Math.abs(body[field] - nowSeconds())).toBeLessThan(120);
  }
  expect(body.expires_at === null || Number.isInteger(body.expires_at)).toBe(true);
  expect(Number.isInteger(body.width) && body.width > 0).toBe(true);
  expect(Number.isInteger(body.height) && body.height > 0).toBe(true);
  expect(Number.isInteger(body.filesize)).toBe(true);
  expect(Array.isArray(body.tags)).toBe(true);
  expect(typeof body.public).toBe('boolean');
}

/** The `src` extension where it is not the format's own: formats browsers cannot show are delivered as one they can. */
const SRC_EXTENSIONS: Record<string, string> = { jpeg: 'jpg', heic: 'jpg', bmp: 'png', ico: 'png' };

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A hosting error in the flat envelope: exactly `error`, `message`, `request_id` plus the optional fields named
 * in `extra` (`action`, `usage`, `errors`, `retry_after`), nothing more.
 */
export function expectHostingError(
  response: TestResponse,
  status: number,
  code: string,
  options: { message?: string | RegExp; extra?: string[] } = {},
): void {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(response.body).sort()).toEqual(
    ['error', 'message', 'request_id', ...(options.extra ?? [])].sort(),
  );
  expect(response.body.error).toBe(code);
  if (typeof options.message === 'string') expect(response.body.message).toBe(options.message);
  else if (options.message) expect(response.body.message).toMatch(options.message);
  expect(response.body.request_id).toBe(response.headers.get('x-request-id'));
}

/** `422 validation_error` with `errors` naming exactly these fields. */
export function expectValidationError(response: TestResponse, fields: string[]): void {
  expectHostingError(response, 422, 'validation_error', { message: 'Validation failed', extra: ['errors'] });
  expect(Object.keys(response.body.errors).sort()).toEqual([...fields].sort());
  for (const field of fields) {
    expect(Array.isArray(response.body.errors[field])).toBe(true);
    expect(response.body.errors[field].length).toBeGreaterThan(0);
  }
}

/** Every file under `dir`, relative to it (none when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export const dataPath = (server: TestServer, ...parts: string[]): string =>
  path.join(server.services.config.dataDir, ...parts);

/** Keys in the blob store under `prefix/`, relative to it — through the port, so on any backend. */
export async function blobsUnder(server: TestServer, prefix: string): Promise<string[]> {
  return (await server.services.blobs.list(`${prefix}/`)).map((key) => key.slice(prefix.length + 1));
}

/** Originals in the blob store. */
export const storedOriginals = (server: TestServer): Promise<string[]> => blobsUnder(server, 'originals');

/** Upload scratch files plus (local-disk backend) the blob store's half-written temp files: both must stay empty. */
export async function scratchFiles(server: TestServer): Promise<string[]> {
  return [
    ...(await filesUnder(dataPath(server, 'tmp'))).map((f) => `tmp/${f}`),
    ...(await filesUnder(dataPath(server, 'blobs', '.tmp'))).map((f) => `blobs/.tmp/${f}`),
  ];
}

/** A cached rendition as the delivery path would leave it, written through the blob port. */
export async function fakeRendition(server: TestServer, id: string, names: string[]): Promise<void> {
  for (const name of names)
    await server.services.blobs.put(`renditions/${id}/${name}`, Buffer.from('not really an image'));
}

export interface Keyed {
  accountId: string;
  key: string;
  keyId: string;
}

/** A fresh account (verified unless told otherwise) and one key in `environment`. */
export async function keyedAccount(
  server: TestServer,
  options: { verified?: boolean; plan?: string; environment?: 'live' | 'test' } = {},
): Promise<Keyed> {
  if (options.plan === undefined) {
    const { account, key } = await accountWithKey(server, options);
    return { accountId: account.id, key: key.key, keyId: key.key_id };
  }
  const account = await createAccount(server, { verified: options.verified ?? true, plan: options.plan });
  const key = await mintKey(server, account.id, { environment: options.environment ?? 'live' });
  return { accountId: account.id, key: key.key, keyId: key.key_id };
}

/** Another key of the same account, in the given environment. */
export async function secondKey(server: TestServer, accountId: string, environment: 'live' | 'test') {
  return (await mintKey(server, accountId, { environment })).key;
}

export async function listAll(server: TestServer, key: string, query = ''): Promise<MediaBody[]> {
  const response = await server.request('GET', `/v1/media?limit=100${query ? `&${query}` : ''}`, { key });
  expect(response.status, response.text).toBe(200);
  return response.body.data as MediaBody[];
}

export async function usage(server: TestServer, key: string) {
  const response = await server.request('GET', '/v1/usage', { key });
  expect(response.status, response.text).toBe(200);
  return response.body as {
    plan: string;
    verified: boolean;
    uploads: { used: number; limit: number; resets_at: number };
    storage: { used_bytes: number; limit_bytes: number };
  };
}

/** The media row as stored (fields the API does not show, such as `frames` and `blob_key`). */
export async function mediaRow(server: TestServer, id: string) {
  return server.services.store.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
}
