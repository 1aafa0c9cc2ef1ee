import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { corrupt, ImageFailureError } from '../image-failure.ts';

/** Pixels handed back by a JavaScript decoder: RGB when every pixel was opaque, RGBA otherwise. */
export interface DecodedPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Buffer;
}

export type WorkerDecodeJob =
  | { readonly kind: 'heic'; readonly bytes: Uint8Array }
  | {
      readonly kind: 'bmp';
      readonly bytes: Uint8Array;
      /** An ICO entry: no file header, doubled height, AND mask. */
      readonly icon: boolean;
      /** 32-bit BMPs often leave the fourth byte at 0 meaning "unused": all zero then means opaque. */
      readonly zeroAlphaMeansOpaque: boolean;
    };

const require = createRequire(import.meta.url);
const MODULE_PATHS = { heic: require.resolve('heic-decode'), bmp: require.resolve('decode-bmp') } as const;

// heic-decode (libheif compiled to wasm) and decode-bmp are synchronous JavaScript: a 12 MP HEIC takes
// about a second, which would freeze every request on the event loop. Each decode runs in a short-lived
// worker; the pixels come back as a transferred buffer, not a copy. The source is eval'd CommonJS (module
// paths resolved here) so it works the same under tsx, vitest and any later build step.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { kind, modulePath, bytes, icon, zeroAlphaMeansOpaque } = workerData;
  const decode = require(modulePath);
  const image = kind === 'heic' ? await decode({ buffer: bytes }) : decode(bytes, { icon });
  const { width, height } = image;
  const rgba = new Uint8Array(image.data.buffer, image.data.byteOffset, width * height * 4);
  let opaque = true;
  let allZero = true;
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i] !== 255) opaque = false;
    if (rgba[i] !== 0) allZero = false;
  }
  if (zeroAlphaMeansOpaque && allZero) opaque = true;
  let data = rgba;
  if (opaque) {
    data = new Uint8Array(width * height * 3);
    for (let from = 0, to = 0; from < rgba.length; from += 4, to += 3) {
      data[to] = rgba[from];
      data[to + 1] = rgba[from + 1];
      data[to + 2] = rgba[from + 2];
    }
  }
  parentPort.postMessage({ width, height, channels: opaque ? 3 : 4, data }, [data.buffer]);
})().catch((error) => parentPort.postMessage({ error: String((error && error.message) || error) }));
`;

interface WorkerReply {
  readonly width?: number;
  readonly height?: number;
  readonly channels?: 3 | 4;
  readonly data?: Uint8Array;
  readonly error?: string;
}

export function decodeInWorker(job: WorkerDecodeJob, timeoutSeconds: number): Promise<DecodedPixels> {
  // A private copy, transferred: the caller's Buffer may be a slice of Node's shared pool.
  const bytes = new Uint8Array(job.bytes);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { ...job, bytes, modulePath: MODULE_PATHS[job.kind] },
    transferList: [bytes.buffer],
    // libheif prints its errors with console.log: keep them for the failure detail, off the server's stdout.
    stdout: true,
    stderr: true,
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    if (output.length < 2000) output += chunk.toString('utf8');
  };
  worker.stdout.on('data', collect);
  worker.stderr.on('data', collect);
  const detail = (what: string): string =>
    `${job.kind} decoder: ${what}${output ? ` (${output.trim().slice(0, 500)})` : ''}`;
  return new Promise<DecodedPixels>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new ImageFailureError('corrupt', 'Image could not be decoded in time', `${job.kind} decode timeout`),
      );
      void worker.terminate();
    }, timeoutSeconds * 1000);
    const settle = (): void => {
      clearTimeout(timer);
      void worker.terminate();
    };
    worker.once('message', (reply: WorkerReply) => {
      settle();
      const { width, height, channels, data } = reply;
      if (reply.error !== undefined || !data || !width || !height || !channels) {
        reject(corrupt(detail(reply.error ?? 'no image')));
        return;
      }
      resolve({ width, height, channels, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });
    });
    worker.once('error', (error) => {
      settle();
      reject(corrupt(detail(`crashed: ${error.message}`)));
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(corrupt(detail(`exited with code ${code}`))); // no-op when already settled
    });
  });
}
