import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { SafeFetcher } from '../fetcher/index.ts';
import type { ModelProfile } from '../imaging/enhance/model-profiles.ts';
import { installedPath, modelsDir } from './model-files.ts';

/** Without a pinned size, a download stops here: the largest public segmentation export is under 1 GB. */
const MAX_MODEL_BYTES = 4 * 1024 ** 3;
/** The whole transfer (a slow link and a 1 GB file); an interrupted one resumes, so this only bounds a hang. */
const DOWNLOAD_TIMEOUT_MS = 6 * 3_600_000;
/** No byte for this long: the transfer is cut and can be resumed. */
const STALL_TIMEOUT_MS = 60_000;
/** GitHub release assets and Hugging Face files redirect once or twice to the host that serves the bytes. */
const MAX_REDIRECTS = 5;

export interface PullSource {
  readonly url: string;
  readonly sha256: string;
  /** Checked before hashing, and the download stops past it; unknown for an operator-given checksum. */
  readonly bytes: number | undefined;
  /** True when URL and checksum are the profile's pinned ones. */
  readonly pinned: boolean;
}

export type PullOutcome =
  | { readonly ok: true; readonly path: string; readonly bytes: number; readonly already: boolean }
  | {
      readonly ok: false;
      /**
       * `no_source`: no pinned download and no URL + SHA-256 given; `bad_request`: malformed URL or checksum;
       * `busy`: another pull of this model runs; `refused`: the download was refused or failed before any byte
       * (nothing kept); `interrupted`: cut off midway, the `.part` file is kept and the same command resumes;
       * `size_mismatch` / `checksum_mismatch`: the file is not the pinned one (deleted, nothing installed).
       */
      readonly code:
        | 'no_source'
        | 'bad_request'
        | 'busy'
        | 'refused'
        | 'interrupted'
        | 'size_mismatch'
        | 'checksum_mismatch';
      readonly message: string;
    };

export interface PullRequest {
  readonly fetcher: SafeFetcher;
  readonly dataDir: string;
  readonly profile: ModelProfile;
  /** Another location of the file (a mirror); the pinned checksum still applies unless `sha256` is given. */
  readonly url?: string | undefined;
  /** The operator's own pin, for a profile without one or a different export. */
  readonly sha256?: string | undefined;
  /** Download again even when the file is installed. */
  readonly force?: boolean | undefined;
  /** Before the first request: what is fetched, and from which byte (a resumed `.part`). */
  readonly onStart?: (source: PullSource, resumeFrom: number) => void;
  readonly onProgress?: (bytes: number, total: number | undefined) => void;
}

/** Where the bytes come from: the profile's pinned download, possibly at another URL, or the operator's pin. */
function pullSource(
  profile: ModelProfile,
  url: string | undefined,
  sha256: string | undefined,
): PullSource | Extract<PullOutcome, { ok: false }> {
  const pinned = profile.download;
  if (sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(sha256)) {
    return { ok: false, code: 'bad_request', message: '--sha256 must be 64 hexadecimal digits' };
  }
  if (url !== undefined && !/^https:\/\//i.test(url)) {
    return { ok: false, code: 'bad_request', message: '--url must be an https:// URL' };
  }
  const chosenUrl = url ?? pinned?.url;
  const chosenSha = sha256?.toLowerCase() ?? pinned?.sha256;
  if (!chosenUrl || !chosenSha) {
    return {
      ok: false,
      code: 'no_source',
      message: pinned
        ? `${profile.name}: give --sha256 with --url`
        : `${profile.name} has no pinned download: its authors publish no ONNX file whose checksum could be established (docs/models.md). Export one, or pass --url https://… --sha256 <hex> for a file you trust.`,
    };
  }
  const samePin = pinned !== undefined && chosenSha === pinned.sha256;
  return {
    url: chosenUrl,
    sha256: chosenSha,
    bytes: samePin ? pinned.bytes : undefined,
    pinned: samePin && chosenUrl === pinned.url,
  };
}

/**
 * `lightbox models pull`: downloads a profile's file through the safe fetcher (HTTPS only, redirects re-checked)
 * into `<data>/models/<file>.part`, resuming a `.part` left by an interrupted run, checks the size and SHA-256 and
 * only then renames it into place. A mismatch deletes the `.part`: nothing is installed. One pull per model at a
 * time (a lock file holding the pid; a dead holder's lock is taken over).
 */
export async function pullModel(request: PullRequest): Promise<PullOutcome> {
  const { profile, dataDir } = request;
  const source = pullSource(profile, request.url, request.sha256);
  if ('ok' in source) return source;
  const target = installedPath(dataDir, profile);
  const existing = await sizeOf(target);
  if (!request.force && existing !== null) return { ok: true, path: target, bytes: existing, already: true };
  await mkdir(modelsDir(dataDir), { recursive: true });
  const lock = await takeLock(`${target}.lock`);
  if (!lock) {
    return {
      ok: false,
      code: 'busy',
      message: `another \`lightbox models pull ${profile.name}\` is running`,
    };
  }
  try {
    return await download(request, source, target);
  } finally {
    await rm(`${target}.lock`, { force: true });
  }
}

async function download(request: PullRequest, source: PullSource, target: string): Promise<PullOutcome> {
  const part = `${target}.part`;
  const limit = source.bytes ?? MAX_MODEL_BYTES;
  let resumeFrom = (await sizeOf(part)) ?? 0;
  if (resumeFrom >= limit) {
    await rm(part, { force: true });
    resumeFrom = 0;
  }
  request.onStart?.(source, resumeFrom);
  const fetched = await request.fetcher.fetchToFile(source.url, part, {
    httpsOnly: true,
    maxRedirects: MAX_REDIRECTS,
    maxBytes: limit,
    timeoutMs: DOWNLOAD_TIMEOUT_MS,
    stallTimeoutMs: STALL_TIMEOUT_MS,
    resumeFrom,
    keepPartial: true,
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
  });
  if (!fetched.ok) {
    const kept = (await sizeOf(part)) ?? 0;
    if (fetched.reason === 'too_large') {
      await rm(part, { force: true });
      return {
        ok: false,
        code: 'size_mismatch',
        message: `the file is larger than ${describeSize(limit, source)}; nothing was installed`,
      };
    }
    if (kept > 0 && (fetched.reason === 'unreachable' || fetched.reason === 'timeout')) {
      return {
        ok: false,
        code: 'interrupted',
        message: `download interrupted after ${megabytes(kept)} (${fetched.message}); run the same command again to resume`,
      };
    }
    if (kept === 0) await rm(part, { force: true });
    return { ok: false, code: 'refused', message: `download failed: ${fetched.message}` };
  }
  if (source.bytes !== undefined && fetched.bytes !== source.bytes) {
    await rm(part, { force: true });
    return {
      ok: false,
      code: 'size_mismatch',
      message: `the file has ${fetched.bytes} bytes, the pinned one ${source.bytes}; nothing was installed`,
    };
  }
  const actual = await sha256Of(part);
  if (actual !== source.sha256) {
    await rm(part, { force: true });
    return {
      ok: false,
      code: 'checksum_mismatch',
      message: `SHA-256 mismatch: expected ${source.sha256}, got ${actual}; the download was deleted and nothing was installed`,
    };
  }
  await rename(part, target);
  return { ok: true, path: target, bytes: fetched.bytes, already: false };
}

function describeSize(limit: number, source: PullSource): string {
  return source.bytes === undefined
    ? `${megabytes(limit)} (the limit without a pinned size)`
    : `the pinned ${source.bytes} bytes`;
}

export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch {
    return null;
  }
}

/** Creates the lock file with our pid; a lock whose process is gone (a crash, a kill) is taken over. */
async function takeLock(file: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) return false;
      await rm(file, { force: true });
    }
  }
  return false;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
