import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Principal } from '../accounts/authenticate.ts';
import { AppError } from '../errors/app-error.ts';
import type { SafeFetcher } from '../fetcher/index.ts';
import { randomBase36 } from '../lib/ids.ts';
import { type IngestDeps, ingest } from './ingest.ts';
import { parseMediaFields } from './media-fields.ts';

const MB = 1024 * 1024;
const IMPORT_TIMEOUT_MS = 30_000;
const IMPORT_REDIRECTS = 3;

/** `POST /v1/import` (docs/api.md §2.3): fetch through the safe fetcher to a temp file, then ingest like an upload. */
export async function importFromUrl(
  deps: IngestDeps & { fetcher: SafeFetcher; tmpDir: string },
  input: {
    principal: Principal | undefined;
    clientIp: string;
    body: Record<string, unknown>;
    maxBytes: number;
  },
) {
  const { url, ...fields } = input.body;
  // Every field is checked before anything is fetched: a request that cannot succeed costs no download.
  const errors: Record<string, string[]> = {};
  if (typeof url !== 'string' || url.length > 2048 || !/^https?:\/\//i.test(url) || !URL.canParse(url)) {
    errors.url = ['Must be an http(s) URL'];
  }
  try {
    parseMediaFields(fields, { mode: 'create' });
  } catch (error) {
    if (!(error instanceof AppError) || !error.details.errors) throw error;
    Object.assign(errors, error.details.errors);
  }
  if (typeof url !== 'string' || Object.keys(errors).length > 0)
    throw new AppError('invalid_payload', { errors });
  const temp = path.join(deps.tmpDir, `import-${randomBase36(16)}`);
  try {
    const fetched = await deps.fetcher.fetchToFile(url, temp, {
      timeoutMs: IMPORT_TIMEOUT_MS,
      maxRedirects: IMPORT_REDIRECTS,
      maxBytes: input.maxBytes,
    });
    if (!fetched.ok) {
      switch (fetched.reason) {
        case 'invalid_url':
          throw new AppError('invalid_payload', { errors: { url: [fetched.message] } });
        case 'timeout':
          throw new AppError('fetch_failed', { status: 504, message: 'URL fetch timeout' });
        case 'too_large':
          throw new AppError('import_failed', {
            message: `File too large. Maximum file size is ${Math.round(input.maxBytes / MB)} MB.`,
          });
        case 'http_status':
          throw new AppError('fetch_failed', { message: `URL returned ${fetched.status ?? 'an error'}` });
        default:
          throw new AppError('fetch_failed', { message: fetched.message });
      }
    }
    const basename = decodeURIComponent(new URL(fetched.url).pathname.split('/').pop() ?? '').slice(0, 255);
    return await ingest(deps, {
      principal: input.principal,
      clientIp: input.clientIp,
      file: { path: temp, size: fetched.bytes },
      fields,
      defaultName: basename || 'image',
      failure: 'import_failed',
    });
  } finally {
    await rm(temp, { force: true });
  }
}
