import { LightboxApiError, type Media } from '../../client/index.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { describeError, errorJson, exitCodeOf, table } from './output.ts';

/** One item of an upload or import run. */
export interface ItemResult {
  source: string;
  status: 'uploaded' | 'imported' | 'skipped' | 'failed' | 'not_attempted';
  media?: Pick<Media, 'id' | 'src' | 'url'> & Partial<Media>;
  error?: unknown;
}

/** Errors after which the next items would fail the same way: stop there instead of repeating it. */
function stopsTheRun(error: unknown): boolean {
  if (!(error instanceof LightboxApiError)) return exitCodeOf(error) === EXIT.network;
  return error.status === 401 || error.status === 403 || error.code === 'quota_exceeded';
}

/**
 * Runs `work` over `items`, `concurrency` at a time, in order of the list; after an error that `stopsTheRun`, the
 * items not started yet are marked `not_attempted`.
 */
export async function runBatch<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<ItemResult>,
  sourceOf: (item: T) => string,
): Promise<ItemResult[]> {
  const results: ItemResult[] = new Array(items.length);
  let next = 0;
  let stopped = false;
  const worker = async () => {
    for (;;) {
      const index = next++;
      const item = items[index];
      if (item === undefined) return;
      if (stopped) {
        results[index] = { source: sourceOf(item), status: 'not_attempted' };
        continue;
      }
      results[index] = await work(item);
      if (results[index].status === 'failed' && stopsTheRun(results[index].error)) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** 0 when nothing failed, 5 when some did and some did not, else the code of the first failure. */
export function batchExitCode(results: ItemResult[]): ExitCode {
  const failed = results.filter((r) => r.status === 'failed' || r.status === 'not_attempted');
  if (failed.length === 0) return EXIT.ok;
  if (failed.length < results.length) return EXIT.partial;
  return exitCodeOf(results.find((r) => r.status === 'failed')?.error);
}

export function batchJson(results: ItemResult[]) {
  const count = (status: ItemResult['status']) => results.filter((r) => r.status === status).length;
  return {
    results: results.map((r) => ({
      source: r.source,
      status: r.status,
      ...(r.media ? { id: r.media.id, src: r.media.src, url: r.media.url } : {}),
      ...(r.error ? { error: errorJson(r.error) } : {}),
    })),
    done: count('uploaded') + count('imported'),
    skipped: count('skipped'),
    failed: count('failed'),
    not_attempted: count('not_attempted'),
  };
}

/** The summary table: one row per item, then the totals. */
export function batchTable(results: ItemResult[]): string {
  const rows = results.map((r) => [
    r.source,
    r.status.replace('_', ' '),
    r.media?.id ?? '',
    r.media?.src ?? (r.error ? (describeError(r.error).split('\n')[0] ?? '') : ''),
  ]);
  const totals = batchJson(results);
  const parts = [
    `${totals.done} done`,
    `${totals.skipped} skipped`,
    `${totals.failed} failed`,
    ...(totals.not_attempted ? [`${totals.not_attempted} not attempted`] : []),
  ];
  const firstError = results.find((r) => r.status === 'failed')?.error;
  return [
    table(['SOURCE', 'STATUS', 'ID', 'SRC / ERROR'], rows),
    '',
    parts.join(', '),
    ...(firstError ? [`first error: ${describeError(firstError)}`] : []),
  ].join('\n');
}
