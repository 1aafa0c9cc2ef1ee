// End-to-end timing of the enhancement pipeline, one 1200×900 product photo → 1600² marketplace JPEG,
// for each provider that can run here. Run: npx tsx bench/enhance-pipeline.ts [rounds]
//
// - baseline: decode + fit onto a white 1600² canvas + JPEG q90 4:4:4 with sharp alone, the floor any
//   pipeline pays; the ratios against it are what to compare between machines and runs.
// - classical: the real thing (no model).
// - onnx: the tiny stand-in model from the test fixtures. It measures the plumbing (worker, transfer,
//   resizing in and out of 1024², composing), NOT real inference: ISNet adds ≈ 0.9 s per image
//   (measured; see src/imaging/enhance/README.md).
// - http: a loopback stub that answers a mask computed once in advance, so the figure is the pipeline's
//   own cost (JPEG upload, PNG mask decode, composing) plus a local round trip, not a remote model.

import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createEnhancer, type EnhancerOptions } from '../src/imaging/enhance/index.ts';
import {
  loopbackFetch,
  startLoopbackService,
} from '../src/imaging/enhance/testing/loopback-segmentation-service.ts';
import { darkProductPhoto } from '../src/imaging/enhance/testing/product-photos.ts';
import { sharp } from '../src/imaging/sharp-lib.ts';

const ROUNDS = Number(process.argv[2] ?? 9);
const WARM_UP = 2;
const TINY_MODEL = fileURLToPath(new URL('../src/imaging/enhance/fixtures/tiny-isnet.onnx', import.meta.url));

interface Measured {
  readonly name: string;
  readonly times: number[];
  /** Process CPU time (all threads: main, libvips, ONNX workers) per item. */
  readonly cpuMs: number;
  readonly maxLoopDelayMs: number;
  readonly peakRssMb: number;
}

async function measure(name: string, run: () => Promise<unknown>): Promise<Measured> {
  for (let i = 0; i < WARM_UP; i++) await run();
  const times: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 10);
  loop.enable();
  const cpu = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  const { user, system } = process.cpuUsage(cpu);
  loop.disable();
  clearInterval(sampler);
  const cpuMs = (user + system) / 1000 / ROUNDS;
  return { name, times, cpuMs, maxLoopDelayMs: loop.max / 1e6, peakRssMb: peakRss / 2 ** 20 };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const photo = await darkProductPhoto();
const request = {
  input: photo.jpeg,
  preset: 'marketplace_clean_catalog',
  preservationLevel: 'strict',
} as const;
const common: Omit<EnhancerOptions, 'providers'> = { timeoutMs: 60_000, onnxConcurrency: 1, onnxThreads: 2 };

// The mask a segmentation service would send back for this photo: dark pixels are the product.
const stubMask = await sharp(photo.jpeg).greyscale().threshold(128).negate().png().toBuffer();
const stub = await startLoopbackService((_body, _index, response) => {
  response.setHeader('content-type', 'image/png');
  response.end(stubMask);
});

const results: Measured[] = [];
results.push(
  await measure('baseline (sharp: fit on 1600² white, JPEG)', () =>
    sharp(photo.jpeg)
      .resize(1600, 1600, { fit: 'contain', background: '#ffffff', kernel: 'lanczos3' })
      .jpeg({ quality: 90, chromaSubsampling: '4:4:4' })
      .toBuffer(),
  ),
);
const providers: Array<[string, EnhancerOptions]> = [
  ['classical', { ...common, providers: ['classical'] }],
  ['onnx (tiny stand-in model: plumbing only)', { ...common, providers: ['onnx'], modelPath: TINY_MODEL }],
  [
    'http (loopback stub, precomputed mask)',
    { ...common, providers: ['http'], httpUrl: stub.url, httpFetch: loopbackFetch },
  ],
];
for (const [name, options] of providers) {
  const enhancer = createEnhancer(options);
  try {
    results.push(
      await measure(name, async () => {
        const result = await enhancer.enhance(request);
        if (result.width !== 1600) throw new Error(`unexpected ${result.width} px result`);
      }),
    );
  } finally {
    await enhancer.close();
  }
}
await stub.close();

const baseline = median(results[0]!.times);
console.log(
  `enhance-pipeline: 1200×900 JPEG → marketplace_clean_catalog 1600² JPEG, strict; ` +
    `${ROUNDS} rounds after ${WARM_UP} warm-up; Node ${process.version}, ${availableParallelism()} CPUs, ` +
    `load average ${loadavg()[0]!.toFixed(1)}, sharp concurrency ${sharp.concurrency()}`,
);
const columns = ['median', 'min', 'max', '× base', 'CPU/item', 'loop max', 'peak RSS'];
console.log(`${'run'.padEnd(44)}${columns.map((c) => c.padStart(10)).join('')}`);
for (const r of results) {
  const m = median(r.times);
  const cells = [
    `${m.toFixed(0)} ms`,
    `${Math.min(...r.times).toFixed(0)} ms`,
    `${Math.max(...r.times).toFixed(0)} ms`,
    (m / baseline).toFixed(1),
    `${r.cpuMs.toFixed(0)} ms`,
    `${r.maxLoopDelayMs.toFixed(0)} ms`,
    `${r.peakRssMb.toFixed(0)} MB`,
  ];
  console.log(`${r.name.padEnd(44)}${cells.map((c) => c.padStart(10)).join('')}`);
}
