import { createHash, randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver } from '../../test/support/fake-s3.ts';
import { freePort } from '../../test/support/processes.ts';
import { blobsContract } from './blobs.contract.ts';
import { createS3BlobStore, type S3BlobStore, type S3BlobStoreOptions } from './s3-blobs.ts';

const BUCKET = 'lightbox-test';
const MiB = 1024 * 1024;

interface FakeS3 {
  options: S3BlobStoreOptions;
  store: S3BlobStore;
  /** `METHOD /path?query` of every request s3rver received, to see which S3 calls were made. */
  requests: string[];
  /** Content-Length of every UploadPart request. */
  partLengths: number[];
  /** Bytes s3rver has read off its sockets so far, headers included. */
  bytesReceived(): number;
  close(): Promise<void>;
}

/** s3rver on a free loopback port, keeping its objects in a fresh temp directory. */
async function startFakeS3(): Promise<FakeS3> {
  const { server, endpoint, close } = await startS3rver(BUCKET);
  const requests: string[] = [];
  const partLengths: number[] = [];
  server.httpServer.on('request', (req: IncomingMessage) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.url?.includes('partNumber=')) partLengths.push(Number(req.headers['content-length']));
  });
  const sockets = new Set<Socket>();
  let closedSocketBytes = 0;
  server.httpServer.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      closedSocketBytes += socket.bytesRead;
      sockets.delete(socket);
    });
  });
  const options: S3BlobStoreOptions = {
    bucket: BUCKET,
    endpoint,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
  };
  const store = createS3BlobStore(options);
  return {
    options,
    store,
    requests,
    partLengths,
    bytesReceived: () => [...sockets].reduce((sum, socket) => sum + socket.bytesRead, closedSocketBytes),
    async close() {
      await store.close();
      await close();
    },
  };
}

/** Writes `size` random bytes chunk by chunk (never the whole file in memory) and returns their SHA-256. */
async function writeLargeFile(file: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  const chunk = Buffer.alloc(MiB);
  for (let offset = 0; offset < size; offset += chunk.length) {
    const part = randomFillSync(chunk).subarray(0, Math.min(chunk.length, size - offset));
    hash.update(part);
    if (!out.write(part)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

blobsContract('s3 (s3rver)', async () => {
  const s3 = await startFakeS3();
  return { blobs: s3.store, close: () => s3.close() };
});

describe('s3 blob store specifics', () => {
  const LARGE = 20 * MiB;
  let s3: FakeS3;
  let scratch: string;
  let largeFile: string;
  let largeDigest: string;
  beforeAll(async () => {
    s3 = await startFakeS3();
    scratch = await mkdtemp(path.join(tmpdir(), 'lightbox-s3-test-'));
    largeFile = path.join(scratch, 'large.bin');
    largeDigest = await writeLargeFile(largeFile, LARGE);
  });
  afterAll(async () => {
    await s3.close();
    await rm(scratch, { recursive: true, force: true });
  });
  const key = (suffix: string) => `specifics/${crypto.randomUUID()}/${suffix}`;

  it('uploads a 20 MB file as a multipart upload of 5 MiB parts, and streams it back intact', async () => {
    const k = key('large');
    s3.requests.length = 0;
    s3.partLengths.length = 0;
    expect(await s3.store.put(k, { file: largeFile })).toEqual({ size: LARGE });
    const objectPath = `/${BUCKET}/${k}`;
    expect(s3.requests.filter((r) => r.startsWith(`POST ${objectPath}?uploads`))).toHaveLength(1);
    expect(s3.partLengths).toEqual([5 * MiB, 5 * MiB, 5 * MiB, 5 * MiB]);
    expect(s3.requests.filter((r) => r.startsWith(`POST ${objectPath}?uploadId=`))).toHaveLength(1);
    // No single PutObject holding the whole file: every PUT to the key is one part.
    expect(
      s3.requests.filter((r) => r.startsWith(`PUT ${objectPath}`) && !r.includes('partNumber=')),
    ).toEqual([]);

    expect(await s3.store.stat(k)).toEqual({ size: LARGE });
    const stream = await s3.store.get(k);
    expect(stream && (await sha256Of(stream))).toBe(largeDigest);
    expect(await s3.store.withLocalFile(k, async (f) => sha256Of(createReadStream(f)))).toBe(largeDigest);
  });

  it('reads a stream only as fast as parts go out: about two parts ahead, never the whole 20 MB', async () => {
    // What was read from the file but has not reached the server yet is what sits in this process's memory;
    // measured as bytes rather than RSS, it does not depend on when the garbage collector runs.
    let read = 0;
    let maxAhead = 0;
    const baseline = s3.bytesReceived();
    const counted = createReadStream(largeFile).pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          read += chunk.length;
          maxAhead = Math.max(maxAhead, read - (s3.bytesReceived() - baseline));
          callback(null, chunk);
        },
      }),
    );
    expect(await s3.store.put(key('large-stream'), counted)).toEqual({ size: LARGE });
    // Two 5 MiB parts in flight (the default concurrency), plus stream and socket buffers.
    expect(maxAhead).toBeLessThan(2 * 5 * MiB + 3 * MiB);
  });

  it('downloads for withLocalFile into a temp file it removes afterwards, even when fn throws', async () => {
    const k = key('local.png');
    await s3.store.put(k, Buffer.from('pixels'));
    let seen = '';
    const result = await s3.store.withLocalFile(k, async (file) => {
      seen = file;
      return (await readFile(file)).toString();
    });
    expect(result).toBe('pixels');
    expect(path.basename(seen)).toBe('local.png');
    await expect(access(seen)).rejects.toThrow();
    await expect(
      s3.store.withLocalFile(k, async (file) => {
        seen = file;
        throw new Error('sharp failed');
      }),
    ).rejects.toThrow('sharp failed');
    await expect(access(seen)).rejects.toThrow();
  });

  it('aborts the multipart upload when the stream fails after parts were sent, leaving no object', async () => {
    const k = key('aborted');
    s3.requests.length = 0;
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 12 * MiB) {
          this.destroy(new Error('client went away'));
          return;
        }
        sent += MiB;
        this.push(Buffer.alloc(MiB, 3));
      },
    });
    await expect(s3.store.put(k, failing)).rejects.toThrow('client went away');
    const path_ = `/${BUCKET}/${k}`;
    expect(s3.requests.some((r) => r.startsWith(`POST ${path_}?uploads`))).toBe(true);
    expect(s3.requests.some((r) => r.startsWith(`PUT ${path_}?`) && r.includes('partNumber='))).toBe(true);
    // AbortMultipartUpload (s3rver does not implement it, real S3 frees the parts) and never a completion.
    expect(s3.requests.some((r) => r.startsWith(`DELETE ${path_}?uploadId=`))).toBe(true);
    expect(s3.requests.some((r) => r.startsWith(`POST ${path_}?uploadId=`))).toBe(false);
    expect(await s3.store.stat(k)).toBeNull();
  });

  it('deletes a prefix page by page, in batches of at most the batch size', async () => {
    // S3 pages and batches by 1000; a batch size of 10 walks the same pagination with 25 objects instead of 1005.
    const store = createS3BlobStore({ ...s3.options, deleteBatchSize: 10 });
    const base = `specifics/${crypto.randomUUID()}`;
    const keys = Array.from({ length: 25 }, (_, i) => `${base}/many/${String(i).padStart(2, '0')}`);
    await Promise.all(keys.map((k) => store.put(k, Buffer.from('x'))));
    await store.put(`${base}/keep`, Buffer.from('k'));
    await store.put(`${base}/many-not-under-the-prefix`, Buffer.from('k'));
    s3.requests.length = 0;
    await store.deletePrefix(`${base}/many/`);
    const listings = s3.requests.filter((r) => r.startsWith(`GET /${BUCKET}/?`) && r.includes('list-type=2'));
    expect(listings).toHaveLength(3);
    expect(listings.filter((r) => r.includes('continuation-token='))).toHaveLength(2);
    expect(s3.requests.filter((r) => r.startsWith(`POST /${BUCKET}/?delete`))).toHaveLength(3);
    for (const k of keys) expect(await store.stat(k)).toBeNull();
    expect(await store.stat(`${base}/keep`)).toEqual({ size: 1 });
    expect(await store.stat(`${base}/many-not-under-the-prefix`)).toEqual({ size: 1 });
    await store.deletePrefix(`${base}/many/`);
    await expect(store.deletePrefix(`${base}/many`)).rejects.toThrow(/end with/);
    expect(() => createS3BlobStore({ ...s3.options, deleteBatchSize: 1001 })).toThrow(/batch size/);
    await store.close();
  });

  it('stores the content type', async () => {
    const k = key('typed');
    await s3.store.put(k, Buffer.from('{}'), { contentType: 'application/json' });
    await s3.store.put(`${k}-stream`, Readable.from([Buffer.from('<svg/>')]), {
      contentType: 'image/svg+xml',
    });
    const raw = new S3Client({
      region: s3.options.region,
      endpoint: s3.options.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    try {
      const json = await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: k }));
      expect(json.ContentType).toBe('application/json');
      const svg = await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${k}-stream` }));
      expect(svg.ContentType).toBe('image/svg+xml');
    } finally {
      raw.destroy();
    }
  });

  it('pings the bucket, and fails the ping for a missing bucket or an unreachable service', async () => {
    await s3.store.ping();
    const missing = createS3BlobStore({ ...s3.options, bucket: 'no-such-bucket' });
    await expect(missing.ping()).rejects.toThrow();
    await missing.close();
    const unreachable = createS3BlobStore({
      ...s3.options,
      endpoint: `http://127.0.0.1:${await freePort()}`,
      pingTimeoutMs: 1_000,
    });
    const startedAt = Date.now();
    await expect(unreachable.ping()).rejects.toThrow();
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    await unreachable.close();
  });

  it('refuses half-given credentials, parts below the S3 minimum and no upload concurrency', () => {
    expect(() => createS3BlobStore({ ...s3.options, secretAccessKey: undefined })).toThrow(/together/);
    expect(() => createS3BlobStore({ ...s3.options, partSizeBytes: MiB })).toThrow(/at least/);
    expect(() => createS3BlobStore({ ...s3.options, uploadConcurrency: 0 })).toThrow(/at least 1/);
  });
});
