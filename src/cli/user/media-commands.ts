import { readFile } from 'node:fs/promises';
import type { Media, MediaFieldsInput, MediaListQuery, RenditionOptions } from '../../client/index.ts';
import { batchExitCode, batchJson, batchTable, runBatch } from './batch.ts';
import { UsageError } from './cli-errors.ts';
import { EXIT } from './exit-codes.ts';
import { bytes, table, unixDate } from './output.ts';
import { type CommandRun, connect } from './session.ts';

export interface MediaFieldOptions {
  name?: string;
  namespace?: string;
  tags?: string[];
  private?: boolean;
  ttl?: string;
  concurrency: number;
}

export function fieldsOf(options: MediaFieldOptions): MediaFieldsInput {
  return {
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ...(options.tags !== undefined ? { tags: options.tags } : {}),
    ...(options.private ? { public: false } : {}),
    ...(options.ttl !== undefined ? { ttl: options.ttl } : {}),
  };
}

const isUrl = (value: string) => /^https?:\/\//i.test(value);

/** URLs given as arguments, or read from files of one URL per line (blank lines and `#` comments skipped). */
async function urlsOf(sources: string[]): Promise<string[]> {
  const urls: string[] = [];
  for (const source of sources) {
    if (isUrl(source)) {
      urls.push(source);
      continue;
    }
    const lines = (await readFile(source, 'utf8')).split(/\r?\n/).map((l) => l.trim());
    for (const [index, line] of lines.entries()) {
      if (!line || line.startsWith('#')) continue;
      if (!isUrl(line))
        throw new UsageError(`${source}:${index + 1}: not an http(s) URL: ${line.slice(0, 80)}`);
      urls.push(line);
    }
  }
  if (urls.length === 0) throw new UsageError('no URLs to import');
  return urls;
}

export const importCommand: CommandRun<MediaFieldOptions> = async ({ args, options, out }) => {
  const urls = await urlsOf(args[0] as string[]);
  const { client } = await connect(options, 'optional');
  const fields = fieldsOf(options);
  const results = await runBatch(
    urls,
    options.concurrency,
    async (url) => {
      try {
        return { source: url, status: 'imported', media: await client.import({ url, ...fields }) };
      } catch (error) {
        return { source: url, status: 'failed', error };
      }
    },
    (url) => url,
  );
  out.result(batchJson(results), () => batchTable(results));
  return batchExitCode(results);
};

function mediaRows(list: Media[]): string {
  return table(
    ['ID', 'NAME', 'FORMAT', 'SIZE', 'PIXELS', 'CREATED', 'ACCESS', 'TAGS'],
    list.map((m) => [
      m.id,
      m.name.length > 32 ? `${m.name.slice(0, 31)}…` : m.name,
      m.format,
      bytes(m.filesize),
      `${m.width}×${m.height}`,
      unixDate(m.created_at),
      m.public ? 'public' : 'private',
      m.tags.join(','),
    ]),
  );
}

export const listCommand: CommandRun<{
  limit: number;
  all?: boolean;
  cursor?: string;
  namespace?: string;
  tags?: string[];
  tagMode?: 'any' | 'all';
}> = async ({ options, out }) => {
  const { client } = await connect(options, 'required');
  const query: MediaListQuery = {
    limit: options.limit,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(options.tags ? { tags: options.tags } : {}),
    ...(options.tagMode ? { tag_mode: options.tagMode } : {}),
  };
  if (options.all) {
    const all: Media[] = [];
    for await (const media of client.media.iterate(query)) all.push(media);
    out.result({ data: all }, () => (all.length ? mediaRows(all) : 'No media.'));
    return EXIT.ok;
  }
  const page = await client.media.list({ ...query, ...(options.cursor ? { cursor: options.cursor } : {}) });
  out.result(page, () =>
    [
      page.data.length ? mediaRows(page.data) : 'No media.',
      ...(page.pagination.has_more
        ? [`More: lightbox ls --cursor ${page.pagination.next_cursor} (or --all)`]
        : []),
    ].join('\n'),
  );
  return EXIT.ok;
};

export const getCommand: CommandRun = async ({ args, options, out }) => {
  const { client } = await connect(options, 'optional');
  const media = await client.media.get(args[0] as string);
  out.result(media, () =>
    table(
      ['FIELD', 'VALUE'],
      [
        ['id', media.id],
        ['name', media.name],
        ['format', media.format],
        ['size', `${bytes(media.filesize)} (${media.filesize} bytes)`],
        ['pixels', `${media.width}×${media.height}`],
        ['access', media.public ? 'public' : 'private'],
        ['namespace', media.namespace ?? ''],
        ['tags', media.tags.join(', ')],
        ['date', media.date ?? ''],
        ['created', unixDate(media.created_at)],
        ['expires', media.expires_at === null ? 'never' : unixDate(media.expires_at)],
        ['viewer', media.url],
        ['src', media.src],
        ...Object.entries(media.metadata).map(([k, v]) => [`metadata.${k}`, v]),
      ],
    ),
  );
  return EXIT.ok;
};

export const removeCommand: CommandRun = async ({ args, options, out }) => {
  const ids = [...new Set(args[0] as string[])];
  const { client } = await connect(options, 'required');
  const deleted: string[] = [];
  const errors: { id: string; error: string; message: string }[] = [];
  for (let at = 0; at < ids.length; at += 100) {
    const result = await client.media.deleteMany(ids.slice(at, at + 100));
    deleted.push(...result.data.map((d) => d.id));
    errors.push(...result.errors);
  }
  out.result({ deleted, errors }, () =>
    [
      ...(deleted.length ? [`Deleted ${deleted.length}: ${deleted.join(' ')}`] : []),
      ...errors.map((e) => `${e.id}: ${e.error}: ${e.message}`),
    ].join('\n'),
  );
  if (errors.length === 0) return EXIT.ok;
  return deleted.length > 0 ? EXIT.partial : EXIT.api;
};

export const urlCommand: CommandRun<RenditionOptions> = async ({ args, options, out }) => {
  const { client } = await connect(options, 'optional');
  const media = await client.media.get(args[0] as string);
  const { size, w, h, fit, q, format } = options;
  const url = client.renditionUrl(media, { size, w, h, fit, q, format });
  out.result({ id: media.id, url }, () => url);
  return EXIT.ok;
};

export const usageCommand: CommandRun = async ({ options, out }) => {
  const { client } = await connect(options, 'required');
  const usage = await client.usage();
  out.result(usage, () =>
    table(
      ['', ''],
      [
        ['plan', `${usage.plan}${usage.verified ? '' : ' (email not verified)'}`],
        [
          'uploads',
          `${usage.uploads.used} of ${usage.uploads.limit} this month (resets ${unixDate(usage.uploads.resets_at)} UTC)`,
        ],
        ['storage', `${bytes(usage.storage.used_bytes)} of ${bytes(usage.storage.limit_bytes)}`],
        ['keys', `${usage.keys.active} active${usage.keys.limit === null ? '' : ` of ${usage.keys.limit}`}`],
        [
          'credits',
          `${usage.credits.paid_available} paid available, ${usage.credits.paid_reserved} reserved, ${usage.credits.promotional} promotional`,
        ],
      ],
    )
      .split('\n')
      .slice(1)
      .join('\n'),
  );
  return EXIT.ok;
};
