import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import type { CreateEnhancementInput } from '../../client/index.ts';
import { UsageError } from './cli-errors.ts';

export type ImageInput = CreateEnhancementInput['images'][number];

/** The API's batch size (docs/api.md §3.2). */
const BATCH_SIZE = 20;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,160}$/;
const isUrl = (value: string) => /^https?:\/\//i.test(value);

/**
 * Images from arguments: a URL is one image; anything else is a CSV file — with a header naming `source_url` (and
 * optionally `external_id`), or without one: URL in the first column, external id in the second. `#` starts a
 * comment line.
 */
export async function readImages(sources: string[]): Promise<ImageInput[]> {
  const images: ImageInput[] = [];
  for (const source of sources) {
    if (isUrl(source)) {
      images.push({ source_url: source });
      continue;
    }
    const rows = parse(await readFile(source), {
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      comment: '#',
      comment_no_infix: true,
    });
    const header = rows[0]?.map((cell) => cell.toLowerCase());
    const hasHeader = header?.includes('source_url') ?? false;
    const urlColumn = hasHeader ? (header?.indexOf('source_url') ?? 0) : 0;
    const idColumn = hasHeader ? (header?.indexOf('external_id') ?? -1) : 1;
    for (const [index, row] of rows.entries()) {
      if (hasHeader && index === 0) continue;
      const url = row[urlColumn] ?? '';
      if (!isUrl(url))
        throw new UsageError(`${source}: row ${index + 1}: not an http(s) URL: ${url.slice(0, 80)}`);
      const externalId = idColumn >= 0 ? row[idColumn] : undefined;
      images.push({ source_url: url, ...(externalId ? { external_id: externalId } : {}) });
    }
  }
  if (images.length === 0) throw new UsageError('no images to enhance');
  return images;
}

export function batchesOf(images: ImageInput[]): ImageInput[][] {
  const batches: ImageInput[][] = [];
  for (let at = 0; at < images.length; at += BATCH_SIZE) batches.push(images.slice(at, at + BATCH_SIZE));
  return batches;
}

/**
 * The idempotency key of batch `index`: the one given (suffixed per batch when there are several); none with
 * `fresh` (the client generates one); otherwise derived from the batch's body, so running the same command again
 * within the server's 24 hours replays the same batch instead of paying for a second one.
 */
export function idempotencyKeyFor(
  body: CreateEnhancementInput,
  index: number,
  count: number,
  options: { idempotencyKey?: string; fresh?: boolean },
): string | undefined {
  if (options.idempotencyKey !== undefined) {
    const key = count === 1 ? options.idempotencyKey : `${options.idempotencyKey}.${index + 1}`;
    if (!IDEMPOTENCY_KEY.test(key)) throw new UsageError('--idempotency-key: 8–160 of A-Z a-z 0-9 . _ : -');
    return key;
  }
  if (options.fresh) return undefined;
  return `lightbox-cli.${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 40)}`;
}
