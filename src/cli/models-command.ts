import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { ConfigError, loadConfig } from '../config/config.ts';
import { SafeFetcher } from '../fetcher/index.ts';
import {
  isModelProfileName,
  MODEL_PROFILE_NAMES,
  MODEL_PROFILES,
} from '../imaging/enhance/model-profiles.ts';
import { chooseSegmentationModel, ModelSettingError, modelInventory } from '../models/model-files.ts';
import { megabytes, type PullOutcome, type PullSource, pullModel } from '../models/pull-model.ts';

const HELP = `lightbox models — segmentation models for the onnx provider (docs/models.md).

  list                       every profile: installed or not, size, licence, the one the server uses
  pull NAME [--url URL] [--sha256 HEX] [--force]
                             download NAME's file into <data>/models/ (HTTPS, resumable, SHA-256 checked)
                             --url: another location of the same file (the pinned checksum still applies)
                             --sha256: your own pin, for a profile without one or another export
                             --force: download again although it is installed

Profiles: ${MODEL_PROFILE_NAMES.join(', ')}.`;

const OPTIONS = {
  url: { type: 'string' },
  sha256: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

/** Exit codes: 0 done, 1 the download or check failed, 2 bad usage or settings. */
export async function runModels(args: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    return usage((error as Error).message);
  }
  const [action, name, ...extra] = parsed.positionals;
  if (parsed.values.help || action === 'help' || action === undefined) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (extra.length > 0) return usage(`unexpected arguments: ${extra.join(' ')}`);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`lightbox: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  switch (action) {
    case 'list':
      if (name !== undefined) return usage('list takes no name');
      return list(config);
    case 'pull': {
      if (name === undefined) return usage('pull needs a profile name');
      if (!isModelProfileName(name)) {
        return usage(`"${name}" is not a model profile; profiles: ${MODEL_PROFILE_NAMES.join(', ')}`);
      }
      return pull(config, name, parsed.values);
    }
    default:
      return usage(`unknown command "${action}"`);
  }
}

function usage(problem: string): number {
  process.stderr.write(`lightbox models: ${problem}\n\n${HELP}\n`);
  return 2;
}

async function list(config: ReturnType<typeof loadConfig>): Promise<number> {
  let inUse: string | undefined;
  try {
    const choice = await chooseSegmentationModel(
      { model: config.segmentationModel, profile: config.segmentationProfile },
      config.dataDir,
    );
    if (choice.kind === 'model') inUse = choice.path;
  } catch (error) {
    if (!(error instanceof ModelSettingError)) throw error;
    process.stderr.write(`lightbox: ${error.message}\n`);
  }
  const rows = (await modelInventory(config.dataDir)).map((m) => {
    const { download, input } = m.profile;
    return [
      m.profile.name,
      m.bytes === null ? 'no' : `yes, ${megabytes(m.bytes)}`,
      download ? megabytes(download.bytes) : 'no pinned file',
      `${input.width}×${input.height}`,
      m.path === inUse ? 'used by the server' : '',
    ];
  });
  const header = ['NAME', 'INSTALLED', 'DOWNLOAD', 'INPUT', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(header)];
  rows.forEach((row, i) => {
    out.push(line(row), `  licence: ${MODEL_PROFILES[MODEL_PROFILE_NAMES[i]!].licence}`);
  });
  if (inUse && !rows.some((r) => r[4]))
    out.push('', `The server uses ${inUse} (LIGHTBOX_SEGMENTATION_MODEL).`);
  process.stdout.write(`${out.join('\n')}\nModels live in ${config.dataDir}/models/.\n`);
  return 0;
}

async function pull(
  config: ReturnType<typeof loadConfig>,
  name: keyof typeof MODEL_PROFILES,
  options: { url?: string | undefined; sha256?: string | undefined; force?: boolean | undefined },
): Promise<number> {
  const profile = MODEL_PROFILES[name];
  const fetcher = new SafeFetcher({
    allowCidrs: config.fetchAllowCidrs,
    ...(config.fetchExtraCaFile ? { extraCa: [await readFile(config.fetchExtraCaFile, 'utf8')] } : {}),
  });
  const bar = progressBar();
  const outcome = await pullModel({
    fetcher,
    dataDir: config.dataDir,
    profile,
    url: options.url,
    sha256: options.sha256,
    force: options.force,
    onStart: (source, resumeFrom) => {
      process.stdout.write(startLines(profile.name, profile.licence, source, resumeFrom));
      bar?.start(source.bytes ?? 0, resumeFrom);
    },
    onProgress: (bytes, total) => bar?.update(bytes, total),
  });
  bar?.stop();
  return report(name, outcome);
}

/** The licence comes first: the operator sees the terms before a byte is fetched. */
function startLines(name: string, licence: string, source: PullSource, resumeFrom: number): string {
  const size = source.bytes === undefined ? 'size not pinned' : megabytes(source.bytes);
  const pin = source.pinned
    ? 'pinned'
    : source.bytes === undefined
      ? 'given with --sha256'
      : 'pinned, other URL';
  return [
    `Licence of ${name}: ${licence}`,
    'You are responsible for complying with these terms where you deploy the model.',
    `Downloading ${source.url} (${size}; SHA-256 ${source.sha256}, ${pin})`,
    ...(resumeFrom > 0 ? [`Resuming after ${megabytes(resumeFrom)} already downloaded`] : []),
    '',
  ].join('\n');
}

function report(name: string, outcome: PullOutcome): number {
  if (!outcome.ok) {
    process.stderr.write(`lightbox models pull ${name}: ${outcome.message}\n`);
    return outcome.code === 'bad_request' || outcome.code === 'no_source' ? 2 : 1;
  }
  process.stdout.write(
    outcome.already
      ? `${name} is already installed: ${outcome.path} (${megabytes(outcome.bytes)}); --force downloads it again.\n`
      : `Installed ${name}: ${outcome.path} (${megabytes(outcome.bytes)}, SHA-256 verified).\n` +
          'With LIGHTBOX_SEGMENTATION_MODEL unset the server uses the first installed profile; restart it to load this one.\n',
  );
  return 0;
}

/**
 * A bar on stderr when it is a terminal; nothing when output goes to a file or a pipe. It appears with the first
 * bytes, once the size is known (the pinned one, or the server's), so it never shows a made-up total.
 */
function progressBar(): {
  start(total: number, at: number): void;
  update(bytes: number, total?: number): void;
  stop(): void;
} | null {
  if (!process.stderr.isTTY) return null;
  const bar = new SingleBar({
    stream: process.stderr,
    format: '{bar} {percentage}% | {done} of {size} | {eta_formatted} left',
    hideCursor: true,
  });
  let size = 0;
  let started = false;
  const payload = (bytes: number) => ({ done: megabytes(bytes), size: size > 0 ? megabytes(size) : '?' });
  return {
    start(total) {
      size = total;
    },
    update(bytes, total) {
      if (total !== undefined) size = total;
      if (!started) {
        bar.start(Math.max(size, bytes), bytes, payload(bytes));
        started = true;
      } else if (size > 0) bar.setTotal(size);
      bar.update(bytes, payload(bytes));
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
