import { filePart, multipartBody, type UploadSource } from './multipart.ts';
import type { Transport } from './transport.ts';
import type {
  BulkDeleteResult,
  BulkUpdateResult,
  CreatedKey,
  CreatedMedia,
  CreateKeyInput,
  Deleted,
  ImportInput,
  Media,
  MediaFieldsInput,
  MediaListQuery,
  MediaPage,
  MediaPatch,
  UploadInput,
  Usage,
} from './types.ts';

/** Upload field names: metadata under these names would be read as the field instead. */
const RESERVED_FIELDS = new Set([
  'file',
  'name',
  'tags',
  'namespace',
  'public',
  'ttl',
  'date',
  'metadata',
  'url',
]);
const MAX_BULK_IDS = 100;

const list = (v: string[] | string | undefined) => (Array.isArray(v) ? v.join(',') : v);
const enc = encodeURIComponent;

/** The shared media fields as the wire wants them (multipart text or JSON). */
function mediaFields(input: MediaFieldsInput): Record<string, string | boolean | number> {
  const out: Record<string, string | boolean | number> = {};
  if (input.name !== undefined) out.name = input.name;
  const tags = list(input.tags);
  if (tags !== undefined) out.tags = tags;
  if (input.namespace !== undefined) out.namespace = input.namespace;
  if (input.public !== undefined) out.public = input.public;
  if (input.ttl !== undefined) out.ttl = input.ttl;
  if (input.date !== undefined) out.date = input.date;
  return out;
}

function bulkIds(ids: string[]): string {
  if (ids.length === 0 || ids.length > MAX_BULK_IDS) throw new RangeError(`1 to ${MAX_BULK_IDS} ids`);
  return ids.join(',');
}

/** `POST /v1/keys`: an account (if new) and a key for an email (docs/api.md §2.1). */
export class KeysApi {
  constructor(private readonly t: Transport) {}

  async create(input: CreateKeyInput, options: { signal?: AbortSignal } = {}): Promise<CreatedKey> {
    const { body } = await this.t.send<CreatedKey>({
      family: 'hosting',
      method: 'POST',
      path: '/v1/keys',
      json: input,
      auth: 'none',
      replay: 'unsafe',
      signal: options.signal,
    });
    return body;
  }
}

/** Media management (docs/api.md §2.4). */
export class MediaApi {
  constructor(private readonly t: Transport) {}

  async list(query: MediaListQuery = {}, options: { signal?: AbortSignal } = {}): Promise<MediaPage> {
    const { body } = await this.t.send<MediaPage>({
      family: 'hosting',
      method: 'GET',
      path: '/v1/media',
      query: {
        limit: query.limit,
        cursor: query.cursor,
        namespace: query.namespace,
        tags: list(query.tags),
        tag_mode: query.tag_mode,
        ids: query.ids?.join(','),
      },
      auth: 'required',
      replay: 'safe',
      signal: options.signal,
    });
    return body;
  }

  /** Every media matching the query, page after page (newest first). */
  async *iterate(query: Omit<MediaListQuery, 'cursor'> = {}): AsyncGenerator<Media> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.list({ ...query, cursor });
      yield* page.data;
      if (!page.pagination.has_more || !page.pagination.next_cursor) return;
      cursor = page.pagination.next_cursor;
    }
  }

  /** Public media for anyone; private media only with its owner's key. */
  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<Media> {
    return this.call<Media>('GET', `/v1/media/${enc(id)}`, undefined, options.signal, 'optional');
  }

  async update(id: string, patch: MediaPatch, options: { signal?: AbortSignal } = {}): Promise<Media> {
    return this.call<Media>('PATCH', `/v1/media/${enc(id)}`, { json: patch }, options.signal);
  }

  /** Item by item: one failing id never stops the others (its error is in `errors`). */
  async updateMany(ids: string[], patch: MediaPatch, options: { signal?: AbortSignal } = {}) {
    return this.call<BulkUpdateResult>(
      'PATCH',
      '/v1/media',
      { json: patch, ids: bulkIds(ids) },
      options.signal,
    );
  }

  /** Removes the original and every cached rendition. */
  async delete(id: string, options: { signal?: AbortSignal } = {}): Promise<Deleted> {
    return this.call<Deleted>('DELETE', `/v1/media/${enc(id)}`, undefined, options.signal);
  }

  async deleteMany(ids: string[], options: { signal?: AbortSignal } = {}): Promise<BulkDeleteResult> {
    return this.call<BulkDeleteResult>('DELETE', '/v1/media', { ids: bulkIds(ids) }, options.signal);
  }

  private async call<T>(
    method: 'GET' | 'PATCH' | 'DELETE',
    path: string,
    extra: { json?: unknown; ids?: string } | undefined,
    signal: AbortSignal | undefined,
    auth: 'required' | 'optional' = 'required',
  ): Promise<T> {
    const { body } = await this.t.send<T>({
      family: 'hosting',
      method,
      path,
      ...(extra?.ids ? { query: { ids: extra.ids } } : {}),
      ...(extra?.json !== undefined ? { json: extra.json } : {}),
      auth,
      replay: 'safe',
      signal,
    });
    return body;
  }
}

/** `POST /v1/upload`, streamed from the source with an exact length; the key is optional (anonymous upload). */
export async function upload(
  t: Transport,
  source: UploadSource,
  input: UploadInput = {},
): Promise<CreatedMedia> {
  const file = await filePart(source, input.filename);
  const fields = Object.entries(mediaFields(input)).map(([k, v]): [string, string] => [k, String(v)]);
  for (const [name, value] of Object.entries(input.metadata ?? {})) {
    if (RESERVED_FIELDS.has(name)) throw new RangeError(`metadata field "${name}" is an upload field name`);
    fields.push([name, value]);
  }
  const { body } = await t.send<CreatedMedia>({
    family: 'hosting',
    method: 'POST',
    path: '/v1/upload',
    body: () => multipartBody(fields, file, input.onProgress),
    auth: 'optional',
    replay: 'unsafe',
    signal: input.signal,
  });
  return body;
}

/** `POST /v1/import`: the server fetches the URL (docs/api.md §2.3). */
export async function importUrl(t: Transport, input: ImportInput): Promise<CreatedMedia> {
  const { body } = await t.send<CreatedMedia>({
    family: 'hosting',
    method: 'POST',
    path: '/v1/import',
    json: { url: input.url, ...mediaFields(input) },
    auth: 'optional',
    replay: 'unsafe',
    signal: input.signal,
  });
  return body;
}

export async function usage(t: Transport, options: { signal?: AbortSignal } = {}): Promise<Usage> {
  const { body } = await t.send<Usage>({
    family: 'hosting',
    method: 'GET',
    path: '/v1/usage',
    auth: 'required',
    replay: 'safe',
    signal: options.signal,
  });
  return body;
}
