// `serve --role api` on a scratch data directory, and first-byte timing over one keep-alive connection: what the
// page and create benchmarks share.
import { type Agent, request } from 'node:http';
import path from 'node:path';
import { type Child, freePort, startChild } from './children.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Its output goes to `<dataDir>/server.log`; `env` adds to (or overrides) the defaults below. */
export async function startApiChild(options: {
  dataDir: string;
  adminToken: string;
  env?: Record<string, string>;
}): Promise<Child> {
  const port = await freePort();
  return startChild({
    args: [path.join(ROOT, 'bin/lightbox.js'), 'serve', '--role', 'api'],
    cwd: ROOT,
    port,
    probe: '/healthz',
    logFile: path.join(options.dataDir, 'server.log'),
    timeoutMs: 60_000,
    env: {
      PORT: String(port),
      LIGHTBOX_HOST: '127.0.0.1',
      LIGHTBOX_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LIGHTBOX_DATA_DIR: options.dataDir,
      LIGHTBOX_ADMIN_TOKEN: options.adminToken,
      LIGHTBOX_LOG_LEVEL: 'warn',
      ...options.env,
    },
  });
}

/** Milliseconds from sending the request to the response head (the first byte); the body is drained after. */
export function firstByte(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
): Promise<{ ms: number; status: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { agent, headers }, (res) => {
      const ms = performance.now() - started;
      res.resume();
      res.on('end', () => resolve({ ms, status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}
