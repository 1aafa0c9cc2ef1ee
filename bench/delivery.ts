// Delivery benchmark (docs/api.md §2.6): uncached rendition latency vs sharp in-process, uncached throughput vs ipx,
// cached throughput and p99, memory over 10 000 mixed requests. Everything on 127.0.0.1; every loop is bounded
// in count and time.
//
//   npx tsx bench/delivery.ts            full run (≈ 6–25 min: it waits for a quiet machine before measuring)
//   npx tsx bench/delivery.ts --quick    fewer and shorter rounds, for iterating (numbers are noisier)
//   add --no-write to leave docs/benchmarks.md alone
// The cached runs use wrk when installed (apt-get install wrk), autocannon otherwise.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  buildPyramid,
  DEFAULT_IMAGE_LIMITS,
  levelEncoding,
  levelSize,
  parseRenditionParams,
  pickLevel,
  pyramidDepth,
  renderImage,
  renditionKey,
} from '../src/imaging/index.ts';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { type Child, freePort, startChild } from './lib/children.ts';
import { startIpx } from './lib/ipx.ts';
import { type LightboxServer, startLightbox, type UploadedMedia } from './lib/lightbox.ts';
import { type LoadResult, runLoad } from './lib/load.ts';
import { waitForQuiet, withForeignLoad } from './lib/machine.ts';
import { PHOTO_HEIGHT, PHOTO_WIDTH, photoFiles } from './lib/photos.ts';
import { fixed, mb, median, table } from './lib/stats.ts';
import { findWrk, runWrk } from './lib/wrk.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
const WRITE = !process.argv.includes('--no-write');

const PHOTOS = 20;
const LATENCY_ROUNDS = QUICK ? 3 : 11;
const THROUGHPUT_ROUNDS = QUICK ? 1 : 4;
const THROUGHPUT_SECONDS = QUICK ? 6 : 10;
const CACHED_ROUNDS = QUICK ? 1 : 5;
const CACHED_SECONDS = QUICK ? 5 : 8;
const CACHED_CONNECTIONS = 32;
const MEMORY_REQUESTS = 10_000;
/** RSS "after warm-up" is the median over requests [WARMUP, 2 × WARMUP); "at the end" over the last WARMUP. */
const MEMORY_WARMUP = 1_000;
/** One request in this many of the memory run is a miss. */
const MEMORY_MISS_EVERY = 25;
/** `size=m` of a 4000 × 3000 photo. */
const M_WIDTH = 853;
const M_HEIGHT = 640;
/** Before each measurement, wait (≤ QUIET_WAIT_MS) until other processes use less than this share of the machine. */
const QUIET_SHARE = 0.25;
const QUIET_WAIT_MS = QUICK ? 10_000 : 90_000;

type Format = 'webp' | 'jpeg';

/** One uncached rendition: every call of `next` names a rendition no earlier call named. */
interface Miss {
  image: number;
  format: Format;
  quality: number;
  /** Eight spellings of the same 853 × 640 output, each its own cache key. */
  style: number;
}

const STYLE_QUERIES = [
  'size=m',
  `w=${M_WIDTH}`,
  `h=${M_HEIGHT}`,
  `w=${M_WIDTH}&h=${M_HEIGHT}`,
  `w=${M_WIDTH}&fit=contain`,
  `h=${M_HEIGHT}&fit=contain`,
  `w=${M_WIDTH}&h=${M_HEIGHT}&fit=contain`,
  `w=${M_WIDTH}&h=${M_HEIGHT}&fit=cover`,
];
// Every spelling must be its own cache key, or "uncached" requests would be hits.
if (
  new Set(
    STYLE_QUERIES.map((q) =>
      renditionKey(parseRenditionParams({ ext: 'jpg', query: new URLSearchParams(q), source: 'jpeg' })),
    ),
  ).size !== STYLE_QUERIES.length
) {
  throw new Error('two spellings of the miss sequence share a rendition key');
}

function missSequence(label: string) {
  const QUALITIES = 20; // 70…89
  const total = PHOTOS * QUALITIES * 2 * STYLE_QUERIES.length;
  let n = 0;
  return {
    next(): Miss {
      if (n >= total) throw new Error(`${label}: all ${total} distinct renditions are used up`);
      const i = n++;
      // The cost of a request depends on its format and quality (a WebP miss costs about 1.5× a JPEG one here), so
      // every stretch of 40 requests has both formats and the qualities jump around (stride 7, coprime with 20):
      // each round of each server gets the same mix, wherever in the sequence it starts.
      const block = Math.floor(i / PHOTOS);
      const step = Math.floor(block / 2);
      return {
        image: i % PHOTOS,
        format: block % 2 === 0 ? 'webp' : 'jpeg',
        quality: 70 + (((step % QUALITIES) * 7) % QUALITIES),
        style: Math.floor(step / QUALITIES) % STYLE_QUERIES.length,
      };
    },
  };
}

/** Path + query of a Lightbox src with another extension. */
function lightboxPath(media: UploadedMedia, ext: string, query: string): string {
  const { pathname } = new URL(media.src);
  return `${pathname.replace(/\.[a-z]+$/, `.${ext}`)}?${query}`;
}

const missPath = (media: UploadedMedia[], miss: Miss) =>
  lightboxPath(
    media[miss.image] as UploadedMedia,
    miss.format === 'jpeg' ? 'jpg' : 'webp',
    `${STYLE_QUERIES[miss.style]}&q=${miss.quality}`,
  );

/** The same output from ipx: width 853 (height follows: 640), same format and quality. */
const ipxPath = (files: string[], miss: Miss) =>
  `/w_${M_WIDTH},f_${miss.format},q_${miss.quality}/${path.basename(files[miss.image] as string)}`;

const ORIGINAL = { width: PHOTO_WIDTH, height: PHOTO_HEIGHT };
const PYRAMID_DEPTH = pyramidDepth({ ...ORIGINAL, format: 'jpeg', frames: 1 });

const missParams = (miss: Miss) =>
  parseRenditionParams({
    ext: miss.format === 'jpeg' ? 'jpg' : 'webp',
    query: new URLSearchParams(`${STYLE_QUERIES[miss.style]}&q=${miss.quality}`),
    source: 'jpeg',
  });

/** The pyramid level the server renders a miss from (src/imaging/pyramid.ts), as a file in its blob store. */
function levelFile(dataDir: string, media: UploadedMedia, miss: Miss): { file: string; level: number } {
  const level = pickLevel(ORIGINAL, PYRAMID_DEPTH, missParams(miss));
  const name = `level-${level}.${levelEncoding(levelSize(ORIGINAL, level))}`;
  return { file: path.join(dataDir, 'blobs', 'renditions', media.id, name), level };
}

/** Waits (≤ 5 min) until the server's pyramid job has built levels for every upload; returns how long that took. */
async function waitForPyramids(dataDir: string, count: number): Promise<number> {
  const started = Date.now();
  const db = new SqliteDatabase(path.join(dataDir, 'lightbox.db'), { readonly: true, fileMustExist: true });
  try {
    while (Date.now() - started < 300_000) {
      const row = db.prepare('select count(*) as n from media where levels > 0').get() as { n: number };
      if (row.n >= count) return Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('pyramids were not built within 5 minutes');
  } finally {
    db.close();
  }
}

/** The pipeline renderImage builds for `size=m` of an opaque sRGB JPEG, written out with sharp directly. */
async function sharpInProcess(file: string, miss: Miss): Promise<Buffer> {
  // The server's resampling and encoder settings (src/imaging/lossy-output.ts): WebP effort 4 after a Lanczos 2
  // resize; JPEG with trellis quantisation, progressive, optimised Huffman tables and the Annex K tables.
  // libvips opens the level file as the server does (uncompressed up to 2 MP, else JPEG), or the original.
  const image = sharp(file, { autoOrient: true, failOn: 'error', limitInputPixels: 100_000_000 })
    .resize(M_WIDTH, M_HEIGHT, { fit: 'fill', kernel: miss.format === 'webp' ? 'lanczos2' : 'lanczos3' })
    .toColorspace('srgb');
  if (miss.format === 'webp') image.webp({ quality: miss.quality, effort: 4 });
  else
    image.jpeg({
      quality: miss.quality,
      progressive: true,
      trellisQuantisation: true,
      optimiseCoding: true,
      quantisationTable: 0,
      chromaSubsampling: '4:2:0',
    });
  return image.toBuffer();
}

async function renderInProcess(file: string, miss: Miss): Promise<Buffer> {
  const rendered = await renderImage({
    input: file,
    sourceFormat: 'jpeg',
    params: missParams(miss),
    limits: DEFAULT_IMAGE_LIMITS,
    plannedSize: ORIGINAL,
  });
  return rendered.data;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function fetchBytes(url: string): Promise<Buffer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200)
    throw new Error(`${url} → ${response.status}: ${body.toString('utf8', 0, 200)}`);
  return body;
}

async function expectSize(bytes: Buffer, width: number, height: number, what: string) {
  const meta = await sharp(bytes).metadata();
  if (meta.width !== width || meta.height !== height) {
    throw new Error(`${what}: ${meta.width}×${meta.height}, expected ${width}×${height}`);
  }
}

function log(message: string) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** One load run with the CPU time the server spent on it. */
interface Run extends LoadResult {
  /** Server CPU (all threads) per 2xx response, ms. */
  cpuMsPerRequest: number;
}

interface Results {
  /** Share of the machine's CPU other processes used during each phase's measurements. */
  foreign: Record<string, number[]>;
  latency: Record<Format, { server: number[]; sharp: number[]; render: number[]; original: number[] }>;
  /** Pyramid levels of the sources: built by the server's job after upload, once per source. */
  pyramid: { readyMs: number; buildMs: number[]; level: number; levelBytes: number[] };
  /** The load generator of the cached measurements. */
  cachedClient: string;
  throughput: Record<number, { lightbox: Run[]; ipx: Run[] }>;
  cached: Run[];
  /** References at the same concurrency: what this client and machine allow at all. */
  floor: { healthz: Run[]; static: Run[] };
  cachedPool: { count: number; meanBytes: number };
  memory: {
    /** Median RSS over requests [WARMUP, 2 × WARMUP). */
    warm: number;
    /** Median RSS over the last WARMUP requests (and one reading after the last response). */
    end: number;
    min: number;
    max: number;
    load: LoadResult;
    misses: number;
  };
  photoBytes: number[];
}

async function main() {
  const started = Date.now();
  const loadBefore = os.loadavg();
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'lightbox-bench-'));
  log(`scratch ${scratch}`);
  log(`photos: generating or reusing ${PHOTOS} × ${PHOTO_WIDTH}×${PHOTO_HEIGHT} JPEGs`);
  const files = await photoFiles(PHOTOS);
  const photoBytes = await Promise.all(files.map(async (f) => (await readFile(f)).length));

  let lightbox: LightboxServer | undefined;
  let ipx: Child | undefined;
  try {
    const dataDir = path.join(scratch, 'lightbox');
    // Every uncached request of the throughput runs is a distinct rendition (320 per source): the per-client miss
    // rate and the per-media cap (docs/api.md §2.6) would answer most of them with a cached substitute.
    lightbox = await startLightbox({
      repo: REPO,
      dataDir,
      env: { LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE: '1000000', LIGHTBOX_RENDITIONS_PER_MEDIA: '10000' },
    });
    ipx = await startIpx({
      repo: REPO,
      dir: path.dirname(files[0] as string),
      logDir: scratch,
      probeFile: files[0] as string,
    });
    log(`lightbox pid ${lightbox.child.pid} at ${lightbox.url}; ipx pid ${ipx.pid} at ${ipx.url}`);
    const media: UploadedMedia[] = [];
    for (const file of files) media.push(await lightbox.upload(file));
    const readyMs = await waitForPyramids(dataDir, media.length);
    log(`pyramids of ${media.length} uploads ready ${fixed(readyMs / 1000, 1)} s after the last upload`);
    const results = await measure(lightbox, ipx, media, files, dataDir);
    results.photoBytes = photoBytes;
    results.pyramid.readyMs = readyMs;
    const report = formatReport(results, Date.now() - started, [loadBefore, os.loadavg()]);
    process.stdout.write(`\n${report.console}\n`);
    if (WRITE) {
      await writeSection(path.join(REPO, 'docs/benchmarks.md'), report.markdown);
      log('wrote docs/benchmarks.md (## Delivery)');
    }
  } finally {
    await ipx?.stop();
    await lightbox?.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

async function measure(
  lightbox: LightboxServer,
  ipx: Child,
  media: UploadedMedia[],
  files: string[],
  dataDir: string,
): Promise<Results> {
  const wrk = await findWrk();
  const results: Results = {
    foreign: {},
    latency: {
      webp: { server: [], sharp: [], render: [], original: [] },
      jpeg: { server: [], sharp: [], render: [], original: [] },
    },
    pyramid: { readyMs: 0, buildMs: [], level: 0, levelBytes: [] },
    cachedClient: wrk ? 'wrk' : 'autocannon',
    throughput: {},
    cached: [],
    floor: { healthz: [], static: [] },
    cachedPool: { count: 0, meanBytes: 0 },
    memory: {
      warm: 0,
      end: 0,
      min: 0,
      max: 0,
      load: { ok: 0, failed: 0, durationS: 0, rps: 0, p50Ms: 0, p99Ms: 0 },
      misses: 0,
    },
    photoBytes: [],
  };
  const misses = missSequence('lightbox');
  const ipxMisses = missSequence('ipx');
  /** Our own processes (their CPU is not "others"). */
  const ownPids = [process.pid, lightbox.child.pid, ipx.pid];
  const pids = () => ownPids;
  const noteForeign = (phase: string, share: number) => {
    results.foreign[phase] ??= [];
    results.foreign[phase].push(share);
  };
  const quiet = async () => {
    const { waitedMs, foreign } = await waitForQuiet(pids, {
      maxForeign: QUIET_SHARE,
      maxWaitMs: QUIET_WAIT_MS,
    });
    if (waitedMs > 1500) {
      log(
        `  waited ${fixed(waitedMs / 1000, 0)} s for a quieter machine (others now: ${fixed(foreign * 100, 0)} %)`,
      );
    }
  };
  /** A load run after a bounded wait for a quiet machine; records the others' load and the server's CPU. */
  const loadRun = async (
    phase: string,
    server: Child,
    options: Parameters<typeof runLoad>[0] | (() => Promise<LoadResult>),
  ): Promise<Run> => {
    await quiet();
    const cpuBefore = (await server.cpuSeconds()) ?? 0;
    const { value, foreign } = await withForeignLoad(pids, () =>
      typeof options === 'function' ? options() : runLoad(options),
    );
    const cpuMsPerRequest = ((((await server.cpuSeconds()) ?? 0) - cpuBefore) * 1000) / Math.max(1, value.ok);
    noteForeign(phase, foreign);
    log(
      `  ${phase} ${server === ipx ? 'ipx' : 'lightbox'}: ${fixed(value.rps, 1)} req/s, p50 ${value.p50Ms} ms, p99 ${value.p99Ms} ms, server CPU ${fixed(cpuMsPerRequest, 2)} ms/req, others ${fixed(foreign * 100, 0)} %`,
    );
    return { ...value, cpuMsPerRequest };
  };
  const missUrls: string[] = [];
  const nextLightboxMiss = () => {
    const p = missPath(media, misses.next());
    missUrls.push(p);
    return p;
  };

  // Both servers make the same output size.
  await expectSize(await fetchBytes(`${lightbox.url}${nextLightboxMiss()}`), M_WIDTH, M_HEIGHT, 'lightbox');
  await expectSize(
    await fetchBytes(`${ipx.url}${ipxPath(files, ipxMisses.next())}`),
    M_WIDTH,
    M_HEIGHT,
    'ipx',
  );

  // 1. One uncached rendition at a time: server (HTTP, child process) vs the same pipeline in this process.
  log(`latency: ${LATENCY_ROUNDS} rounds per format (+1 warm-up)`);
  for (const format of ['webp', 'jpeg'] as const) {
    for (let round = 0; round <= LATENCY_ROUNDS; round++) {
      await quiet();
      let miss = misses.next();
      while (miss.format !== format) {
        missUrls.push(missPath(media, miss));
        miss = misses.next();
      }
      missUrls.push(missPath(media, miss));
      const original = files[miss.image] as string;
      const { file, level } = levelFile(dataDir, media[miss.image] as UploadedMedia, miss);
      const serverRun = () =>
        withForeignLoad(pids, () => timed(() => fetchBytes(`${lightbox.url}${missPath(media, miss)}`)));
      // Alternate who goes first: after the quiet-machine wait the CPU is idle, and whatever runs first pays for it.
      const serverFirst = round % 2 === 0;
      const early = serverFirst ? await serverRun() : null;
      const direct = await timed(() => sharpInProcess(file, miss));
      const render = await timed(() => renderInProcess(file, miss));
      const { value: server, foreign } = early ?? (await serverRun());
      const fromOriginal = await timed(() => sharpInProcess(original, miss));
      if (round === 0) {
        await expectSize(server.value, M_WIDTH, M_HEIGHT, 'server');
        await expectSize(direct.value, M_WIDTH, M_HEIGHT, 'sharp');
        await expectSize(render.value, M_WIDTH, M_HEIGHT, 'renderImage');
        results.pyramid.level = level;
        continue;
      }
      noteForeign('latency', foreign);
      const bucket = results.latency[format];
      bucket.server.push(server.ms);
      bucket.sharp.push(direct.ms);
      bucket.render.push(render.ms);
      bucket.original.push(fromOriginal.ms);
    }
  }

  // What the pyramid costs, once per upload (the server's job runs the same function): one source, 3 builds.
  for (let round = 0; round < 3; round++) {
    await quiet();
    const built = await timed(() =>
      buildPyramid({ input: files[0] as string, format: 'jpeg', depth: PYRAMID_DEPTH }),
    );
    results.pyramid.buildMs.push(built.ms);
    results.pyramid.levelBytes = built.value.map((l) => l.data.length);
  }

  // 2. Uncached throughput, every request a distinct rendition, rotating over the 20 sources; servers interleaved.
  for (const connections of [2, 8]) {
    const bucket = { lightbox: [] as Run[], ipx: [] as Run[] };
    results.throughput[connections] = bucket;
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      log(`uncached throughput: ${connections} connections, round ${round + 1}/${THROUGHPUT_ROUNDS}`);
      const common = { connections, durationS: THROUGHPUT_SECONDS };
      const lightboxRun = () =>
        loadRun(`uncached-${connections}`, lightbox.child, {
          url: lightbox.url,
          ...common,
          nextPath: nextLightboxMiss,
        });
      const ipxRun = () =>
        loadRun(`uncached-${connections}`, ipx, {
          url: ipx.url,
          ...common,
          nextPath: () => ipxPath(files, ipxMisses.next()),
        });
      // Alternate who goes first, so a drift in the machine's load does not favour one side.
      if (round % 2 === 0) {
        bucket.lightbox.push(await lightboxRun());
        bucket.ipx.push(await ipxRun());
      } else {
        bucket.ipx.push(await ipxRun());
        bucket.lightbox.push(await lightboxRun());
      }
    }
  }

  // 3. Cached: a pool of warmed renditions (s as WebP, m as JPEG, of every source), 32 connections.
  const pool = media.flatMap((m) => [lightboxPath(m, 'webp', 'size=s'), lightboxPath(m, 'jpg', 'size=m')]);
  let poolBytes = 0;
  for (const p of pool) poolBytes += (await fetchBytes(`${lightbox.url}${p}`)).length;
  results.cachedPool = { count: pool.length, meanBytes: poolBytes / pool.length };
  if (!wrk)
    log('wrk not found (apt-get install wrk): the cached runs use autocannon, whose own cost shows in p99');
  /** Round-robin over `paths` at CACHED_CONNECTIONS, with wrk when installed. */
  const cachedLoad = (url: string, paths: string[]) => {
    if (wrk) {
      return () => runWrk({ wrk, url, connections: CACHED_CONNECTIONS, durationS: CACHED_SECONDS, paths });
    }
    let cursor = 0;
    return {
      url,
      connections: CACHED_CONNECTIONS,
      durationS: CACHED_SECONDS,
      nextPath: () => paths[cursor++ % paths.length] as string,
    };
  };
  // One unrecorded run first: the hit path is compiled by the JIT after its first few thousand requests.
  log('cached: warm-up run (not recorded)');
  await loadRun('warm-up', lightbox.child, cachedLoad(lightbox.url, pool));
  for (let round = 0; round < CACHED_ROUNDS; round++) {
    log(`cached: ${CACHED_CONNECTIONS} connections, round ${round + 1}/${CACHED_ROUNDS}`);
    results.cached.push(await loadRun('cached', lightbox.child, cachedLoad(lightbox.url, pool)));
  }

  // What this client and machine allow at 32 connections at all: Lightbox's /healthz (no database, no file,
  // 15-byte body), and plain node:http answering every request with one in-memory body of the pool's mean size.
  const staticPort = await freePort();
  const staticServer = await startChild({
    args: [
      '--import',
      'tsx',
      path.join(REPO, 'bench/lib/static-server.ts'),
      String(Math.round(poolBytes / pool.length)),
      String(staticPort),
    ],
    cwd: REPO,
    port: staticPort,
    probe: '/',
    logFile: path.join(os.tmpdir(), `lightbox-bench-static-${process.pid}.log`),
    env: {},
  });
  ownPids.push(staticServer.pid);
  try {
    for (let round = 0; round < 2; round++) {
      results.floor.healthz.push(
        await loadRun('cached', lightbox.child, cachedLoad(lightbox.url, ['/healthz'])),
      );
      results.floor.static.push(await loadRun('cached', staticServer, cachedLoad(staticServer.url, ['/'])));
    }
  } finally {
    ownPids.pop();
    await staticServer.stop();
    await rm(path.join(os.tmpdir(), `lightbox-bench-static-${process.pid}.log`), { force: true });
  }

  // 4. Memory over 10 000 mixed requests: hits over everything cached so far, one miss in 25.
  log(`memory: ${MEMORY_REQUESTS} mixed requests`);
  const hits = [...pool, ...missUrls];
  let sent = 0;
  let done = 0;
  let missCount = 0;
  const samples: { done: number; rss: number }[] = [];
  const sampler = setInterval(() => {
    const at = done;
    void lightbox.child.rss().then((rss) => {
      if (rss !== null) samples.push({ done: at, rss });
    });
  }, 100);
  try {
    const load = await loadRun('memory', lightbox.child, {
      url: lightbox.url,
      connections: 8,
      durationS: 600,
      amount: MEMORY_REQUESTS,
      limitS: 600,
      nextPath: () => {
        const n = sent++;
        if (n % MEMORY_MISS_EVERY === 0) {
          missCount++;
          return missPath(media, misses.next());
        }
        // A fixed pseudo-random walk over the hits (the same sequence every run).
        return hits[(n * 7919) % hits.length] as string;
      },
      onResponse: () => {
        done++;
      },
    });
    const last = (await lightbox.child.rss()) ?? 0;
    const total = load.ok + load.failed;
    const window = (from: number, to: number) => samples.filter((s) => s.done >= from && s.done < to);
    const after = window(MEMORY_WARMUP, 2 * MEMORY_WARMUP).map((s) => s.rss);
    const end = [...window(total - MEMORY_WARMUP, total + 1).map((s) => s.rss), last];
    const steady = [...window(MEMORY_WARMUP, total + 1).map((s) => s.rss), last];
    results.memory = {
      warm: median(after),
      end: median(end),
      min: Math.min(...steady),
      max: Math.max(...steady),
      load,
      misses: missCount,
    };
  } finally {
    clearInterval(sampler);
  }
  return results;
}

interface Goal {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

function formatReport(
  results: Results,
  elapsedMs: number,
  loadAverages: number[][],
): { console: string; markdown: string } {
  const ms = (value: number) => `${fixed(value, 0)} ms`;
  const latencyRows = (['webp', 'jpeg'] as const).map((format) => {
    const { server, sharp: direct, render, original } = results.latency[format];
    const paired = server.map((s, i) => s / (direct[i] ?? Number.NaN));
    return {
      format,
      server: median(server),
      direct: median(direct),
      render: median(render),
      original: median(original),
      ratio: median(paired),
      range: `${fixed(Math.min(...paired), 2)}–${fixed(Math.max(...paired), 2)}`,
    };
  });
  const tput = Object.entries(results.throughput).map(([connections, runs]) => {
    const lightbox = median(runs.lightbox.map((r) => r.rps));
    const ipx = median(runs.ipx.map((r) => r.rps));
    return {
      connections: Number(connections),
      lightbox,
      ipx,
      ratio: lightbox / ipx,
      rounds: runs.lightbox.map((r, i) => `${fixed(r.rps, 1)}/${fixed(runs.ipx[i]?.rps ?? Number.NaN, 1)}`),
      lightboxCpu: median(runs.lightbox.map((r) => r.cpuMsPerRequest)),
      ipxCpu: median(runs.ipx.map((r) => r.cpuMsPerRequest)),
      lightboxP50: median(runs.lightbox.map((r) => r.p50Ms)),
      ipxP50: median(runs.ipx.map((r) => r.p50Ms)),
      failed: [...runs.lightbox, ...runs.ipx].reduce((sum, r) => sum + r.failed, 0),
    };
  });
  const cached = {
    rps: median(results.cached.map((r) => r.rps)),
    p50: median(results.cached.map((r) => r.p50Ms)),
    p99: median(results.cached.map((r) => r.p99Ms)),
    bestP99: Math.min(...results.cached.map((r) => r.p99Ms)),
    cpu: median(results.cached.map((r) => r.cpuMsPerRequest)),
    failed: results.cached.reduce((sum, r) => sum + r.failed, 0),
  };
  const uncachedBest = Math.max(...tput.map((t) => t.lightbox));
  const mem = results.memory;
  const drift = (mem.end - mem.warm) / mem.warm;
  const signed = (value: number) => `${value >= 0 ? '+' : ''}${fixed(value * 100, 1)} %`;

  const goals: Goal[] = [
    ...latencyRows.map((r) => ({
      name: `uncached size=m ${r.format}: server time / the same sharp pipeline in-process`,
      target: '≤ 1.15×',
      measured: `${fixed(r.ratio, 2)}× (${ms(r.server)} vs ${ms(r.direct)})`,
      met: r.ratio <= 1.15,
    })),
    ...tput.map((t) => ({
      name: `uncached throughput, ${t.connections} connections: Lightbox / ipx`,
      target: '≥ 1.5×',
      measured: `${fixed(t.ratio, 2)}× (${fixed(t.lightbox, 1)} vs ${fixed(t.ipx, 1)} req/s)`,
      met: t.ratio >= 1.5,
    })),
    {
      name: 'cached throughput / uncached throughput',
      target: '≥ 20×',
      measured: `${fixed(cached.rps / uncachedBest, 0)}× (${fixed(cached.rps, 0)} vs ${fixed(uncachedBest, 1)} req/s)`,
      met: cached.rps / uncachedBest >= 20,
    },
    {
      name: `cached p99 latency, ${CACHED_CONNECTIONS} connections`,
      target: '< 10 ms',
      measured: `${ms(cached.p99)} (best round ${ms(cached.bestP99)})`,
      met: cached.p99 < 10,
    },
    {
      name: `RSS over ${MEMORY_REQUESTS} mixed requests (end vs after warm-up)`,
      target: '± 10 %',
      measured: `${signed(drift)} (${mb(mem.warm)} → ${mb(mem.end)})`,
      met: Math.abs(drift) <= 0.1,
    },
  ];

  const latencyTable = table(
    [
      'output',
      'server (HTTP)',
      'sharp in-process (same level)',
      'renderImage in-process',
      'server / sharp (paired)',
      'range',
      'for scale: sharp in-process from the 12 MP original',
    ],
    latencyRows.map((r) => [
      `size=m ${r.format} (${M_WIDTH}×${M_HEIGHT})`,
      ms(r.server),
      ms(r.direct),
      ms(r.render),
      `${fixed(r.ratio, 2)}×`,
      r.range,
      ms(r.original),
    ]),
  );
  const throughputTable = table(
    [
      'connections',
      'Lightbox req/s',
      'ipx req/s',
      'Lightbox / ipx',
      'rounds (Lightbox/ipx req/s)',
      'server CPU/req Lightbox',
      'server CPU/req ipx',
      'p50 Lightbox',
      'p50 ipx',
      'failed',
    ],
    tput.map((t) => [
      String(t.connections),
      fixed(t.lightbox, 1),
      fixed(t.ipx, 1),
      `${fixed(t.ratio, 2)}×`,
      t.rounds.join(', '),
      ms(t.lightboxCpu),
      ms(t.ipxCpu),
      ms(t.lightboxP50),
      ms(t.ipxP50),
      String(t.failed),
    ]),
  );
  const reference = (label: string, runs: Run[]) => [
    label,
    String(CACHED_CONNECTIONS),
    fixed(median(runs.map((r) => r.rps)), 0),
    ms(median(runs.map((r) => r.p50Ms))),
    ms(median(runs.map((r) => r.p99Ms))),
    runs.map((r) => String(r.p99Ms)).join(', '),
    `${fixed(median(runs.map((r) => r.cpuMsPerRequest)), 2)} ms`,
    '',
    String(runs.reduce((sum, r) => sum + r.failed, 0)),
  ];
  const cachedTable = table(
    [
      'requests',
      'connections',
      'req/s',
      'p50',
      'p99',
      'rounds p99',
      'server CPU/req',
      'vs uncached',
      'failed',
    ],
    [
      [
        'cached renditions',
        String(CACHED_CONNECTIONS),
        fixed(cached.rps, 0),
        ms(cached.p50),
        ms(cached.p99),
        results.cached.map((r) => String(r.p99Ms)).join(', '),
        `${fixed(cached.cpu, 2)} ms`,
        `${fixed(cached.rps / uncachedBest, 0)}×`,
        String(cached.failed),
      ],
      reference('reference: Lightbox GET /healthz (15 B)', results.floor.healthz),
      reference(
        `reference: plain node:http, constant ${fixed(results.cachedPool.meanBytes / 1024, 0)} KB body`,
        results.floor.static,
      ),
    ],
  );
  const { pyramid } = results;
  const pyramidTable = table(
    [
      'source',
      'levels',
      'level bytes',
      'build (one source, in-process)',
      'ready after the last upload (server job)',
    ],
    [
      [
        `${PHOTO_WIDTH}×${PHOTO_HEIGHT} JPEG, ${mb(median(results.photoBytes))}`,
        Array.from({ length: PYRAMID_DEPTH }, (_, i) => {
          const size = `${Math.round(PHOTO_WIDTH / 2 ** (i + 1))}×${Math.round(PHOTO_HEIGHT / 2 ** (i + 1))}`;
          return size;
        }).join(', '),
        pyramid.levelBytes.map((b) => `${fixed(b / 1024, 0)} KB`).join(', '),
        `${ms(median(pyramid.buildMs))} (rounds ${pyramid.buildMs.map((b) => fixed(b, 0)).join(', ')})`,
        `${fixed(pyramid.readyMs / 1000, 1)} s for ${results.photoBytes.length} uploads`,
      ],
    ],
  );
  const memoryTable = table(
    [
      'requests',
      'misses',
      'RSS after warm-up',
      'RSS at end',
      'min / max after warm-up',
      'drift',
      'req/s',
      'failed',
    ],
    [
      [
        String(mem.load.ok + mem.load.failed),
        String(mem.misses),
        mb(mem.warm),
        mb(mem.end),
        `${mb(mem.min)} / ${mb(mem.max)}`,
        signed(drift),
        fixed(mem.load.rps, 0),
        String(mem.load.failed),
      ],
    ],
  );
  const goalTable = table(
    ['goal', 'target', 'measured', 'status'],
    goals.map((g) => [g.name, g.target, g.measured, g.met ? 'met' : 'NOT met']),
  );
  const share = (phase: string) => {
    const values = Object.entries(results.foreign)
      .filter(([name]) => name === phase || name.startsWith(`${phase}-`))
      .flatMap(([, v]) => v);
    return values.length ? `${fixed(median(values) * 100, 0)} %` : 'n/a';
  };
  const facts = [
    `- Command: \`npx tsx bench/delivery.ts${QUICK ? ' --quick' : ''}\` (run ${new Date().toISOString().slice(0, 16)}Z, ${fixed(elapsedMs / 60_000, 1)} min)`,
    `- Machine: \`nproc\` = ${os.availableParallelism()}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${mb(os.totalmem())} RAM, ${os.type()} ${os.release()}; Node ${process.version}; sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips} (Lightbox and the in-process baseline); ipx 3.1.1 (its own sharp 0.34.5)`,
    `- Shared machine: load average ${loadAverages.map((l) => l.map((v) => fixed(v, 1)).join(' ')).join(' → ')} (before → after). Median share of all cores used by other processes during the measurements: latency ${share('latency')}, uncached throughput ${share('uncached')}, cached ${share('cached')}, memory ${share('memory')}. Before each measurement the bench waits (≤ ${QUIET_WAIT_MS / 1000} s) until others use < ${QUIET_SHARE * 100} %.`,
    `- Sources: ${PHOTOS} generated photo-like ${PHOTO_WIDTH}×${PHOTO_HEIGHT} JPEGs (q90, 4:2:0, gradients + blurred structure + noise), ${mb(median(results.photoBytes))} median`,
  ].join('\n');
  const method = [
    `- Lightbox runs as a child process (\`node bin/lightbox.js serve\`, default settings — log level \`info\`, \`src\` requests at \`warn\` — written to a file, scratch data dir — except the miss limits, lifted so that every uncached request is computed: \`LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE=1000000\`, \`LIGHTBOX_RENDITIONS_PER_MEDIA=10000\`). This process is the HTTP client (autocannon 8; wrk for the cached runs) and, between requests, the in-process baseline: all share the ${os.availableParallelism()} cores.`,
    `- Pyramid: after upload, a job builds each source's levels (halves: ${PYRAMID_DEPTH} levels of a ${PHOTO_WIDTH}×${PHOTO_HEIGHT} photo, each resized from the original; up to 2 MP stored uncompressed (libvips's format), larger ones as JPEG q100 4:2:0; \`src/imaging/pyramid.ts\`). The bench waits until every upload has its levels, then measures; an uncached lossy rendition is computed from the smallest level covering it (\`size=m\`: level 2, 1000×750). ipx has no such step and reads the originals.`,
    `- Uncached latency: ${LATENCY_ROUNDS} rounds per format after one warm-up. Each round requests a rendition never requested before (distinct \`q\` or spelling of \`size=m\`), timed at the client, and runs the same pipeline in this process on the same level file the server reads — each round after the quiet-machine wait, server first in even rounds and in-process first in odd ones (after the wait the CPU is idle, and whatever runs first pays for waking it): \`sharp(level, {autoOrient, failOn: 'error'}).resize(${M_WIDTH}, ${M_HEIGHT}).toColorspace('srgb')\` + WebP (effort 4, after a Lanczos 2 resize) or JPEG (trellis, progressive, Annex K tables) at that \`q\`, with the server's sharp settings (concurrency 1, cache off), and \`renderImage\` (the imaging module without HTTP). The last column runs that pipeline on the 12 MP original, for scale. Columns are medians; the ratio is the median of the per-round ratios (robust to the machine's load drifting between rounds).`,
    `- Uncached throughput: autocannon, ${THROUGHPUT_ROUNDS} × ${THROUGHPUT_SECONDS} s per server and connection count, servers alternating, medians of 2xx/s. Every request is a distinct rendition (${PHOTOS} sources × q 70–89 × WebP/JPEG × ${STYLE_QUERIES.length} spellings of the ${M_WIDTH}×${M_HEIGHT} output), in the same order for both servers: formats alternate every ${PHOTOS} requests and the qualities are spread over every ${PHOTOS * 2 * 20}, so each round gets the same mix wherever it starts (a WebP miss costs about 1.5× a JPEG one). ipx 3.1.1 (\`createIPXNodeServer\` over the photo folder, its defaults) gets the same sources, format, quality and output size (\`/w_${M_WIDTH},f_<fmt>,q_<q>/<file>\`). "server CPU/req" is the server process's CPU time (all threads, /proc) per response: the efficiency, independent of how much CPU other processes left us.`,
    `- Cached: ${results.cachedPool.count} warmed renditions (\`size=s\` WebP and \`size=m\` JPEG of every source, ${fixed(results.cachedPool.meanBytes / 1024, 0)} KB mean) requested round-robin by ${results.cachedClient === 'wrk' ? "wrk 4.1 (2 threads, Lua round-robin over the paths; `bench/lib/wrk.ts`) — a C client, so the latencies are the server's and not the client's garbage collector" : 'autocannon (wrk not installed)'}, ${CACHED_CONNECTIONS} connections, one unrecorded warm-up run, then ${CACHED_ROUNDS} × ${CACHED_SECONDS} s, medians. "vs uncached" divides by the best uncached Lightbox throughput above. The reference rows show what this co-located client and machine allow at that concurrency at all: Lightbox's \`/healthz\` (no database, no file, 15-byte body, logged at \`info\`) and a plain \`node:http\` server (\`bench/lib/static-server.ts\`) answering every request with one in-memory body of the pool's mean size. (Where autocannon is used: it UTF-8-decodes every response body into a string by default, ≈ 1 ms of client CPU per 50 KB image here; \`bench/lib/load.ts\` switches that off.)`,
    `- Memory: ${MEMORY_REQUESTS} requests on 8 connections, one in ${MEMORY_MISS_EVERY} a new rendition, the rest hits over every rendition made so far; RSS of the server process from /proc every 100 ms. "After warm-up" is the median over requests ${MEMORY_WARMUP}–${2 * MEMORY_WARMUP}, "at the end" the median over the last ${MEMORY_WARMUP} (RSS saw-tooths by tens of MB as garbage is collected; single readings are not comparable).`,
  ].join('\n');
  const body = [
    '### Uncached rendition of a 12 MP JPEG (single request)',
    latencyTable,
    '### Pyramid levels (made once per upload, in the background)',
    pyramidTable,
    '### Uncached throughput vs ipx',
    throughputTable,
    '### Cached renditions',
    cachedTable,
    '### Memory',
    memoryTable,
    '### Goals',
    goalTable,
  ];
  const consoleText = [facts, '', ...body.flatMap((b) => [b, ''])].join('\n');
  const markdown = [
    '## Delivery',
    '',
    facts,
    '',
    'Method:',
    '',
    method,
    '',
    ...body.flatMap((b) => [b, '']),
  ].join('\n');
  return { console: consoleText, markdown };
}

/** Ends the generated part of the `## Delivery` section; hand-written notes after it survive a new run. */
const GENERATED_END = '<!-- end of generated delivery results: notes below are kept by bench/delivery.ts -->';

/** Replaces the generated part of the `## Delivery` section (or adds the section), leaving everything else alone. */
async function writeSection(file: string, generated: string) {
  let text = await readFile(file, 'utf8').catch(
    () => '# Benchmarks\n\nMeasured results, one `##` section per area.\n',
  );
  const start = text.search(/^## Delivery\s*$/m);
  if (start === -1) {
    text = `${text.trimEnd()}\n\n${generated.trimEnd()}\n\n${GENERATED_END}\n`;
  } else {
    const next = text.slice(start + 1).search(/^## /m);
    const end = next === -1 ? text.length : start + 1 + next;
    const old = text.slice(start, end);
    const marker = old.indexOf(GENERATED_END);
    const notes = marker === -1 ? `${GENERATED_END}\n` : old.slice(marker);
    const section = `${generated.trimEnd()}\n\n${notes.trimEnd()}\n`;
    text = `${text.slice(0, start)}${section}${end < text.length ? `\n${text.slice(end)}` : ''}`;
  }
  await writeFile(file, text);
}

await main();
