// A Lightbox server as a child process (`node bin/lightbox.js serve`) on a scratch data directory, with a
// verified account and key for uploads.
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Child, freePort, startChild } from './children.ts';

export interface LightboxServer {
  readonly child: Child;
  readonly url: string;
  readonly key: string;
  upload(file: string): Promise<UploadedMedia>;
  stop(): Promise<void>;
}

export interface UploadedMedia {
  id: string;
  src: string;
  width: number;
  height: number;
}

export async function startLightbox(options: {
  repo: string;
  dataDir: string;
  env?: Record<string, string>;
  /** Extra `node` options, e.g. `--cpu-prof` for profiling. */
  nodeArgs?: string[];
}): Promise<LightboxServer> {
  await mkdir(options.dataDir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminToken = `bench-admin-${randomBytes(18).toString('hex')}`;
  const child = await startChild({
    args: [...(options.nodeArgs ?? []), path.join(options.repo, 'bin/lightbox.js'), 'serve'],
    cwd: options.repo,
    port,
    probe: '/healthz',
    logFile: path.join(options.dataDir, 'server.log'),
    timeoutMs: 60_000,
    env: {
      PORT: String(port),
      LIGHTBOX_HOST: '127.0.0.1',
      LIGHTBOX_PUBLIC_URL: url,
      LIGHTBOX_DATA_DIR: options.dataDir,
      LIGHTBOX_ADMIN_TOKEN: adminToken,
      // One plan roomy enough for every upload of the run.
      LIGHTBOX_PLANS: 'bench:100000:1000000:Bench',
      LIGHTBOX_DEFAULT_PLAN: 'bench',
      ...options.env,
    },
  });

  const json = async (method: string, pathname: string, token: string, body: unknown) => {
    const response = await fetch(`${url}${pathname}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${pathname} → ${response.status}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  try {
    const account = await json('POST', '/admin/v1/accounts', adminToken, {
      email: `bench-${randomBytes(6).toString('hex')}@example.test`,
      email_verified: true,
      plan: 'bench',
    });
    const minted = await json('POST', `/admin/v1/accounts/${String(account.id)}/keys`, adminToken, {
      environment: 'live',
    });
    const key = String(minted.key);
    return {
      child,
      url,
      key,
      async upload(file) {
        const form = new FormData();
        form.append('file', await openAsBlob(file), path.basename(file));
        const response = await fetch(`${url}/v1/upload`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}` },
          body: form,
        });
        const text = await response.text();
        if (response.status !== 201) throw new Error(`upload ${file} → ${response.status}: ${text}`);
        return JSON.parse(text) as UploadedMedia;
      },
      stop: () => child.stop(),
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
