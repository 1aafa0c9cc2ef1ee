import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './processes.ts';

/** The slice of s3rver (untyped, CommonJS) these tests use. */
export interface S3rver {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  httpServer: Server;
}
const S3rverClass = createRequire(import.meta.url)('s3rver') as new (options: object) => S3rver;

interface S3rverStore {
  putObject(object: { bucket: string; key: string }): Promise<unknown>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

/**
 * Makes s3rver's disk store keep two promises real S3 makes, so the tests check our code rather than the fake:
 * s3rver writes an object in place (concurrent writers of one key interleave their bytes; S3 replaces objects
 * whole), and its multi-delete races on removing emptied directories (an internal error S3 never gives).
 */
function patchS3rver(server: S3rver): void {
  patchDesForS3rver();
  const store = (server as unknown as { store: S3rverStore }).store;
  const putObject = store.putObject.bind(store);
  const writes = new Map<string, Promise<unknown>>();
  store.putObject = (object) => {
    const id = `${object.bucket}/${object.key}`;
    const write = (writes.get(id) ?? Promise.resolve()).catch(() => {}).then(() => putObject(object));
    writes.set(id, write);
    void write.finally(() => writes.get(id) === write && writes.delete(id)).catch(() => {});
    return write;
  };
  const deleteObject = store.deleteObject.bind(store);
  store.deleteObject = async (bucket, key) => {
    try {
      await deleteObject(bucket, key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  };
}

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node ≥ 17) no longer ships, so
 * every truncated listing fails. Within this test process only, 'des' becomes an identity cipher: the token is
 * then the plain `region/bucket/key` s3rver expects back.
 */
function patchDesForS3rver(): void {
  const cjsCrypto = createRequire(import.meta.url)('node:crypto') as {
    createCipheriv: (...args: unknown[]) => unknown;
    createDecipheriv: (...args: unknown[]) => unknown;
  };
  for (const name of ['createCipheriv', 'createDecipheriv'] as const) {
    const original = cjsCrypto[name];
    if ((original as { identityDes?: true }).identityDes) continue;
    const patched = (algorithm: unknown, ...rest: unknown[]) =>
      algorithm === 'des'
        ? {
            update: (data: string | Buffer, encoding?: BufferEncoding) =>
              typeof data === 'string' ? Buffer.from(data, encoding) : Buffer.from(data),
            final: () => Buffer.alloc(0),
          }
        : original(algorithm, ...rest);
    cjsCrypto[name] = Object.assign(patched, { identityDes: true as const });
  }
}

/** s3rver on a free loopback port with one bucket, objects in a fresh temp directory (tests only). */
export async function startS3rver(
  bucket: string,
): Promise<{ server: S3rver; endpoint: string; close(): Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), 'lightbox-s3rver-'));
  const server = new S3rverClass({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  patchS3rver(server);
  const { port } = await server.run();
  return {
    server,
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** s3rver that a test may stop (an outage: connections refused) and start again with the same port and objects. */
export async function startRestartableS3rver(
  bucket: string,
): Promise<{ endpoint: string; stop(): Promise<void>; start(): Promise<void>; close(): Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), 'lightbox-s3rver-'));
  const port = await freePort();
  let server: S3rver | undefined;
  const start = async () => {
    server = new S3rverClass({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket }],
    });
    patchS3rver(server);
    await server.run();
  };
  const stop = async () => {
    server?.httpServer.closeAllConnections?.();
    await server?.close();
    server = undefined;
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    start,
    stop,
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
