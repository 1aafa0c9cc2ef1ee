import { LightboxApiError, LightboxError, LightboxNetworkError } from '../../client/index.ts';
import { ConfigError } from '../../config/config.ts';
import { MissingKeyError, UsageError } from './cli-errors.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';

/** Where a command writes: its result on stdout (JSON with `--json`), everything else on stderr. */
export class Output {
  constructor(readonly json: boolean) {}

  /** The command's result: `value` as JSON, or the human text. */
  result(value: unknown, human: () => string): void {
    process.stdout.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : ensureNewline(human()));
  }

  /** A side note for people (never in the way of `--json` output, which owns stdout). */
  note(text: string): void {
    if (!this.json) process.stderr.write(ensureNewline(text));
  }

  /** Reports a failure and says how the process should exit. */
  fail(error: unknown): ExitCode {
    const code = exitCodeOf(error);
    if (this.json) process.stderr.write(`${JSON.stringify({ error: errorJson(error) }, null, 2)}\n`);
    else process.stderr.write(ensureNewline(`lightbox: ${describeError(error)}`));
    return code;
  }
}

const ensureNewline = (text: string) => (text.endsWith('\n') || text === '' ? text : `${text}\n`);

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof LightboxApiError) return error.status === 401 ? EXIT.auth : EXIT.api;
  if (error instanceof LightboxNetworkError) return EXIT.network;
  if (error instanceof UsageError || error instanceof ConfigError) return EXIT.usage;
  if (error instanceof MissingKeyError) return EXIT.auth;
  if (error instanceof RangeError || error instanceof TypeError) return EXIT.usage;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return EXIT.usage;
  return EXIT.api;
}

/** One line (or a few) a person can act on: the code, the message, and what the server suggests. */
export function describeError(error: unknown): string {
  if (!(error instanceof LightboxApiError)) {
    return (error as Error)?.message ?? String(error);
  }
  const lines = [`${error.code}: ${error.message} (HTTP ${error.status})`];
  for (const [field, messages] of Object.entries(error.errors ?? {})) {
    lines.push(`  ${field}: ${messages.join('; ')}`);
  }
  if (error.usage)
    lines.push(
      `  usage: ${error.usage.uploads_used} of ${error.usage.uploads_limit} uploads (${error.usage.plan})`,
    );
  if (error.action?.url) lines.push(`  ${error.action.label ?? error.action.type}: ${error.action.url}`);
  if (error.retry_after !== null) lines.push(`  retry after ${error.retry_after} s`);
  if (error.request_id) lines.push(`  request id: ${error.request_id}`);
  return lines.join('\n');
}

export function errorJson(error: unknown): Record<string, unknown> {
  if (error instanceof LightboxApiError) {
    return {
      family: error.family,
      status: error.status,
      code: error.code,
      message: error.message,
      request_id: error.request_id,
      retry_after: error.retry_after,
      action: error.action,
      usage: error.usage,
      errors: error.errors,
    };
  }
  const kind =
    error instanceof LightboxNetworkError
      ? 'network_error'
      : error instanceof LightboxError
        ? 'client_error'
        : exitCodeOf(error) === EXIT.usage
          ? 'usage_error'
          : 'error';
  return { code: kind, message: describeError(error) };
}

/** Columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export const unixDate = (seconds: number | null) =>
  seconds === null ? '' : new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 16);
