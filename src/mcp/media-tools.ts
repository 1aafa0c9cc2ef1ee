import { z } from 'zod';
import type { LightboxClient, Media, MediaPatch } from '../client/index.ts';
import { defineTool, type McpTool, ToolInputError } from './tool-registry.ts';

const MAX_SEARCH_PAGES = 10;
const PAGE = 100;

const fields = {
  name: z.string().min(1).max(255).optional().describe('Display name.'),
  tags: z.array(z.string().max(50)).max(10).optional().describe('At most 10 tags.'),
  namespace: z
    .string()
    .regex(/^[a-z0-9-]{2,64}$/)
    .optional()
    .describe('A folder-like grouping: lowercase letters, digits, hyphens.'),
  public: z
    .boolean()
    .optional()
    .describe('Default true. Private media are reachable only through their src URL.'),
  ttl: z
    .union([z.number().int(), z.string()])
    .optional()
    .describe('Expire after this many seconds (≥ 300) or "<n>m", "<n>h", "<n>d" (up to 90 days).'),
};

const ids = z.array(z.string().min(1).max(64)).min(1).max(100);

/** `data:image/png;base64,…` or bare base64; anything else is refused rather than decoded loosely. */
function decodeBase64(value: string): Buffer {
  const bare = value.replace(/^data:[^;,]*;base64,/, '').replace(/\s+/g, '');
  if (!bare || !/^[A-Za-z0-9+/]+={0,2}$/.test(bare)) throw new ToolInputError('base64 is not valid base64');
  return Buffer.from(bare, 'base64');
}

const upload = defineTool({
  name: 'upload_image',
  title: 'Upload an image',
  description:
    'Stores an image in the Lightbox library and returns its media object (id, src URL, size variants). ' +
    'Give exactly one source: `path` (a local file; stdio only), `base64` (the bytes, optionally as a data URL) ' +
    'or `url` (the server fetches it, like import_image). Types are read from the bytes: JPEG, PNG, GIF, WebP, ' +
    'AVIF, HEIC, SVG, BMP, ICO.',
  input: {
    path: z.string().min(1).optional().describe('Path of a local image file.'),
    base64: z.string().min(1).optional().describe('The image bytes, base64 (a data: URL is accepted).'),
    url: z.string().url().optional().describe('A public http(s) URL of an image.'),
    filename: z.string().max(255).optional().describe('File name sent with base64 bytes.'),
    ...fields,
    metadata: z.record(z.string(), z.string()).optional().describe('Extra string metadata (≤ 20 fields).'),
  },
  stdioOnly: ['path'],
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async run({ path, base64, url, filename, metadata, ...rest }, { client, transport }) {
    const given = [path, base64, url].filter((v) => v !== undefined).length;
    if (given !== 1) {
      throw new ToolInputError(`give exactly one of ${transport === 'stdio' ? 'path, ' : ''}base64 or url`);
    }
    if (url !== undefined) return client.import({ url, ...rest });
    if (path !== undefined) {
      if (transport !== 'stdio') throw new ToolInputError('path is only available over stdio');
      return client.upload(path, { ...rest, ...(metadata ? { metadata } : {}) });
    }
    return client.upload(decodeBase64(base64 as string), {
      ...rest,
      ...(filename ? { filename } : {}),
      ...(metadata ? { metadata } : {}),
    });
  },
});

const importImage = defineTool({
  name: 'import_image',
  title: 'Import an image from a URL',
  description:
    'The server downloads a public http(s) image URL into the library (30 s, 3 redirects at most) and returns ' +
    'the media object. Private and local addresses are refused (fetch_failed).',
  input: { url: z.string().url().describe('A public http(s) URL of an image.'), ...fields },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  run: (args, { client }) => client.import(args),
});

/** Pages through the library (newest first) and keeps what matches `text` in name, tags or metadata. */
async function search(client: LightboxClient, text: string, query: Record<string, unknown>, limit: number) {
  const needle = text.toLowerCase();
  const matches: Media[] = [];
  let cursor: string | undefined;
  let scanned = 0;
  for (let page = 0; page < MAX_SEARCH_PAGES; page++) {
    const result = await client.media.list({ ...query, limit: PAGE, cursor });
    scanned += result.data.length;
    for (const media of result.data) {
      const haystack = [media.name, ...media.tags, ...Object.values(media.metadata)].join('\n').toLowerCase();
      if (haystack.includes(needle)) matches.push(media);
      if (matches.length === limit) return { data: matches, scanned, complete: false };
    }
    if (!result.pagination.has_more || !result.pagination.next_cursor) {
      return { data: matches, scanned, complete: true };
    }
    cursor = result.pagination.next_cursor;
  }
  return { data: matches, scanned, complete: false };
}

const listMedia = defineTool({
  name: 'list_media',
  title: 'List or search media',
  description:
    'Media of the key’s library, newest first, filtered by namespace, tags or ids. With `search`, the newest ' +
    `${MAX_SEARCH_PAGES * PAGE} media are searched for the text in their name, tags and metadata. Without it, ` +
    'pass pagination.next_cursor back as `cursor` while has_more is true.',
  input: {
    search: z.string().min(1).max(200).optional().describe('Text to find in names, tags and metadata.'),
    namespace: fields.namespace,
    tags: z
      .array(z.string())
      .max(10)
      .optional()
      .describe('Media with any (or all, see tag_mode) of these tags.'),
    tag_mode: z.enum(['any', 'all']).optional(),
    ids: ids.optional().describe('Only these ids.'),
    limit: z.number().int().min(1).max(100).optional().describe('Default 50.'),
    cursor: z.string().optional(),
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  run({ search: text, limit, cursor, ...filters }, { client }) {
    if (text !== undefined) return search(client, text, filters, limit ?? 50);
    return client.media.list({ ...filters, limit, cursor });
  },
});

const getMedia = defineTool({
  name: 'get_media',
  title: 'Get a media object',
  description: 'One media object by id: name, src URL, dimensions, format, tags, metadata, expiry.',
  input: { id: z.string().min(1).max(64) },
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: ({ id }, { client }) => client.media.get(id),
});

const updateMedia = defineTool({
  name: 'update_media',
  title: 'Update media',
  description:
    'Changes fields of one or more media (up to 100 ids; item by item, one failure never stops the others). ' +
    'tag_mode: replace (default), add or remove. null clears namespace, date or description; ttl null makes ' +
    'the media permanent where the account allows.',
  input: {
    ids,
    name: fields.name,
    tags: fields.tags,
    tag_mode: z.enum(['replace', 'add', 'remove']).optional(),
    namespace: fields.namespace.unwrap().nullable().optional(),
    public: z.boolean().optional(),
    date: z.string().nullable().optional().describe('ISO date, or null.'),
    ttl: z.union([z.number().int(), z.string()]).nullable().optional(),
    metadata: z.record(z.string(), z.string()).optional().describe('Replaces the metadata.'),
    description: z.string().max(500).nullable().optional(),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run({ ids: list, ...patch }, { client }) {
    const [only] = list;
    return list.length === 1 && only
      ? client.media.update(only, patch as MediaPatch)
      : client.media.updateMany(list, patch);
  },
});

const deleteMedia = defineTool({
  name: 'delete_media',
  title: 'Delete media',
  description:
    'Deletes media by id (up to 100), with every cached rendition. Cannot be undone. Item by item: the answer ' +
    'lists what was deleted and what failed.',
  input: { ids },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  run({ ids: list }, { client }) {
    const [only] = list;
    return list.length === 1 && only ? client.media.delete(only) : client.media.deleteMany(list);
  },
});

const renditionUrl = defineTool({
  name: 'rendition_url',
  title: 'Build a rendition URL',
  description:
    'The delivery URL of a resized or converted version of an image: size s/m/l (short side 320/640/1080) or ' +
    'social (1200×630), or w/h with fit, quality q, output format. Give the media `id` or its `src` URL. ' +
    'Renditions are made on first request and cached.',
  input: {
    id: z.string().min(1).max(64).optional(),
    src: z.string().url().optional().describe('The media object’s src.'),
    size: z.enum(['s', 'm', 'l', 'social']).optional(),
    w: z.number().int().min(1).max(8192).optional(),
    h: z.number().int().min(1).max(8192).optional(),
    fit: z.enum(['scale-down', 'contain', 'cover', 'crop', 'pad']).optional(),
    q: z.number().int().min(1).max(100).optional(),
    format: z.enum(['jpg', 'jpeg', 'png', 'webp', 'avif', 'gif']).optional(),
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ id, src, ...options }, { client }) {
    if ((id === undefined) === (src === undefined)) throw new ToolInputError('give exactly one of id or src');
    const base = src ?? (await client.media.get(id as string)).src;
    return { url: client.renditionUrl(base, options) };
  },
});

const usage = defineTool({
  name: 'usage',
  title: 'Usage and quotas',
  description: 'The account’s plan, uploads this month and their limit, storage, active keys and credits.',
  input: {},
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: (_args, { client }) => client.usage(),
});

export const MEDIA_TOOLS: readonly McpTool[] = [
  upload,
  importImage,
  listMedia,
  getMedia,
  updateMedia,
  deleteMedia,
  renditionUrl,
  usage,
];
