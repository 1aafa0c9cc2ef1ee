import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { assertBlobKey, type BlobStore } from './blobs.ts';

export interface S3BlobStoreOptions {
  bucket: string;
  /** For S3-compatible services (MinIO, R2, Ceph…); AWS's regional endpoint when absent. */
  endpoint?: string;
  region: string;
  /** Both or neither: without them the SDK's default chain applies (env, profile, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `endpoint/bucket/key` URLs instead of `bucket.endpoint/key`; most S3-compatible services need it. */
  forcePathStyle: boolean;
  /** Size of one multipart part; memory per streamed upload is about (uploadConcurrency + 1) parts. Default 5 MiB. */
  partSizeBytes?: number;
  /** Parts of one upload in flight at once. Default 2. */
  uploadConcurrency?: number;
  /** Where `withLocalFile` downloads to. Default the OS temp directory. */
  tmpDir?: string;
  /** Keys per listing page and per DeleteObjects request in `deletePrefix`: at most 1000 (S3's limit, the default). */
  deleteBatchSize?: number;
  /** Bound on `ping`, so readiness probes answer while the service hangs. Default 2 s. */
  pingTimeoutMs?: number;
}

export interface S3BlobStore extends BlobStore {
  /** Releases the HTTP connections; the store must not be used afterwards. */
  close(): Promise<void>;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
/** DeleteObjects takes at most 1000 keys, and a ListObjectsV2 page holds at most 1000. */
const MAX_DELETE_BATCH = 1000;

/**
 * The scale-out blob store: one object per blob. Atomicity comes from S3 itself: a PutObject, or a multipart
 * upload once completed, replaces the object whole; an upload that fails before completion is aborted and
 * never becomes visible. Streams and files are uploaded part by part, never held in memory whole.
 */
export function createS3BlobStore(options: S3BlobStoreOptions): S3BlobStore {
  const { bucket } = options;
  if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
    throw new Error('S3 access key id and secret access key must be given together');
  }
  const partSize = options.partSizeBytes ?? MIN_PART_SIZE;
  if (partSize < MIN_PART_SIZE) throw new Error(`S3 multipart parts must be at least ${MIN_PART_SIZE} bytes`);
  const queueSize = options.uploadConcurrency ?? 2;
  if (!Number.isInteger(queueSize) || queueSize < 1)
    throw new Error('S3 upload concurrency must be at least 1');
  const deleteBatch = options.deleteBatchSize ?? MAX_DELETE_BATCH;
  if (!Number.isInteger(deleteBatch) || deleteBatch < 1 || deleteBatch > MAX_DELETE_BATCH) {
    throw new Error(`the S3 delete batch size must be an integer from 1 to ${MAX_DELETE_BATCH}`);
  }
  const tmpDir = options.tmpDir ?? tmpdir();
  const pingTimeoutMs = options.pingTimeoutMs ?? 2_000;
  const client = new S3Client({
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.accessKeyId === undefined || options.secretAccessKey === undefined
      ? {}
      : { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }),
    // The SDK's default (CRC32 on every upload) is not understood by every S3-compatible service; checksums are
    // still sent where the API requires one (DeleteObjects).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 5_000 },
  });

  async function upload(key: string, source: Readable, contentType: string | undefined) {
    let size = 0;
    let sourceError: unknown;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        callback(null, chunk);
      },
    });
    // Errors travel both ways: a failing source fails the upload, and an upload given up destroys the source
    // (closing its file).
    pipeline(source, counted).catch((error: unknown) => {
      sourceError = error;
    });
    const transfer = new Upload({
      client,
      params: { Bucket: bucket, Key: key, Body: counted, ContentType: contentType },
      partSize,
      queueSize,
      // Aborting frees the uploaded parts; a multipart upload never completed stays invisible either way.
      leavePartsOnError: false,
    });
    try {
      await transfer.done();
    } catch (error) {
      // Read before destroying: the destroy itself fails the pipeline with a premature close.
      const failedSource = sourceError;
      counted.destroy();
      // The source's own failure says more than whatever the aborted upload reported after it.
      throw failedSource ?? error;
    }
    return { size };
  }

  async function getObject(key: string) {
    assertBlobKey(key);
    try {
      return await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async function getStream(key: string): Promise<Readable | null> {
    const object = await getObject(key);
    if (!object?.Body) return null;
    const body = object.Body as unknown;
    return body instanceof Readable
      ? body
      : Readable.fromWeb(body as import('node:stream/web').ReadableStream);
  }

  return {
    async put(key, source, putOptions) {
      assertBlobKey(key);
      const contentType = putOptions?.contentType;
      if (Buffer.isBuffer(source)) {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: source,
            ContentLength: source.length,
            ContentType: contentType,
          }),
        );
        return { size: source.length };
      }
      return upload(key, source instanceof Readable ? source : createReadStream(source.file), contentType);
    },
    get: getStream,
    async getBuffer(key) {
      const object = await getObject(key);
      if (!object?.Body) return null;
      const bytes = await object.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    async stat(key) {
      assertBlobKey(key);
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { size: head.ContentLength ?? 0 };
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },
    async delete(key) {
      assertBlobKey(key);
      // S3 answers 204 whether or not the object existed.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async list(prefix) {
      if (!prefix.endsWith('/')) throw new Error('prefix must end with /');
      assertBlobKey(prefix.slice(0, -1));
      const keys: string[] = [];
      let continuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuationToken }),
        );
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken);
      return keys.sort();
    },
    async deletePrefix(prefix) {
      if (!prefix.endsWith('/')) throw new Error('prefix must end with /');
      assertBlobKey(prefix.slice(0, -1));
      let continuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            MaxKeys: deleteBatch,
            ContinuationToken: continuationToken,
          }),
        );
        const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
        for (let i = 0; i < keys.length; i += deleteBatch) {
          const result = await client.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: keys.slice(i, i + deleteBatch), Quiet: true },
            }),
          );
          // DeleteObjects succeeds as a request even when single keys fail; those come back in Errors.
          const failed = result.Errors ?? [];
          if (failed.length > 0) {
            const first = failed[0];
            throw new Error(
              `could not delete ${failed.length} blob(s) under ${prefix}: ${first?.Key} ${first?.Code} ${first?.Message}`,
            );
          }
        }
        // The token marks a position in key order, so deleting the page just listed does not shift the next one.
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken);
    },
    async withLocalFile(key, fn) {
      const stream = await getStream(key);
      if (!stream) return null;
      let dir: string | undefined;
      try {
        dir = await mkdtemp(path.join(tmpDir, 'lightbox-s3-'));
        const file = path.join(dir, path.basename(key));
        await pipeline(stream, createWriteStream(file));
        return await fn(file);
      } finally {
        stream.destroy();
        if (dir) await rm(dir, { recursive: true, force: true });
      }
    },
    async ping() {
      await client.send(new HeadBucketCommand({ Bucket: bucket }), {
        abortSignal: AbortSignal.timeout(pingTimeoutMs),
      });
    },
    async close() {
      client.destroy();
    },
  };
}

/** A missing object; a missing bucket is a configuration error and must not read as "no such blob". */
function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404;
}
