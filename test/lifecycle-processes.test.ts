import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PROFILE } from './support/databases.ts';
import { noisePng } from './support/images.ts';
import { uploadForm } from './support/media-fixtures.ts';
import { type LightboxProcess, startLightboxProcess } from './support/processes.ts';

/**
 * `lightbox serve` as a real process, stopped by signals as systemd or a container runtime would: a SIGTERM lets
 * the request in flight finish while new connections are refused, and the process exits 0 within the grace period.
 */
// Processes on the embedded profile whatever the test profile: the scale-out run of test/ would only repeat it
// (worker-crash-processes.test.ts stops processes on the scale-out backends).
describe.skipIf(TEST_PROFILE === 'scale-out')('lifecycle: SIGTERM and SIGINT on a serving process', () => {
  let dataDir: string;
  const adminToken = `lbadm_${randomBytes(18).toString('base64url')}`;
  const env = () => ({
    LIGHTBOX_DATA_DIR: dataDir,
    LIGHTBOX_ADMIN_TOKEN: adminToken,
    LIGHTBOX_SHUTDOWN_GRACE_SECONDS: '15',
    LIGHTBOX_LOG_LEVEL: 'info',
  });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-lifecycle-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A multipart upload whose body is sent in two halves, the second only when `finish()` is called. */
  async function halfSentUpload(server: LightboxProcess) {
    const form = new Response(uploadForm(await noisePng(200_000), { filename: 'noise.png' }));
    const body = Buffer.from(await form.arrayBuffer());
    const contentType = form.headers.get('content-type') ?? '';
    const url = new URL('/v1/upload', server.url);
    let finish = () => {};
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        url,
        {
          method: 'POST',
          agent: false,
          headers: { 'content-type': contentType, 'content-length': String(body.length) },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, body.length / 2));
      finish = () => req.end(body.subarray(body.length / 2));
    });
    return { finish: () => finish(), response };
  }

  const exited = (child: LightboxProcess['child']) =>
    new Promise<{ code: number | null; at: number }>((resolve) => {
      if (child.exitCode !== null) resolve({ code: child.exitCode, at: Date.now() });
      else child.once('exit', (code) => resolve({ code, at: Date.now() }));
    });

  const refusesConnections = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });

  it('SIGTERM mid-request: the request completes, new connections are refused, exit 0 within the grace period', async () => {
    const server = await startLightboxProcess('all', env());
    const port = Number(new URL(server.url).port);
    const upload = await halfSentUpload(server);
    await sleep(300);
    const exit = exited(server.child);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');

    // The listening socket closes at once while the upload is still half sent.
    const deadline = Date.now() + 5_000;
    while (!(await refusesConnections(port))) {
      expect(Date.now(), `still accepting:\n${server.output()}`).toBeLessThan(deadline);
      await sleep(50);
    }
    expect(server.child.exitCode).toBeNull();

    upload.finish();
    const answered = await upload.response;
    expect(answered.status, answered.body).toBe(201);
    const media = JSON.parse(answered.body) as { src: string };
    const { code, at } = await exit;
    expect(code, server.output()).toBe(0);
    expect(at - signalledAt).toBeLessThan(15_000);
    expect(server.output()).toContain('"msg":"stopped"');

    // The upload was kept: a new process on the same data directory serves it.
    const again = await startLightboxProcess('all', env());
    try {
      const image = await fetch(new URL(new URL(media.src).pathname, again.url));
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
    } finally {
      await again.stop();
    }
  }, 60_000);

  it('a second signal during the drain exits at once, with code 1', async () => {
    const server = await startLightboxProcess('all', env());
    const upload = await halfSentUpload(server);
    upload.response.catch(() => {});
    await sleep(300);
    const exit = exited(server.child);
    server.child.kill('SIGINT');
    await sleep(300);
    expect(server.child.exitCode, 'the first signal waits for the request').toBeNull();
    const secondAt = Date.now();
    server.child.kill('SIGINT');
    const { code, at } = await exit;
    expect(code).toBe(1);
    expect(at - secondAt).toBeLessThan(3_000);
    expect(server.output()).toContain('second signal');
  }, 60_000);
});
