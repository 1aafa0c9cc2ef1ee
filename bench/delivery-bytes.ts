// Delivery bytes (issue 18): what people loading the images pay for. Lightbox and ipx (its defaults) make the same
// outputs from the same sources in the same run; per format: bytes per rendition, similarity (SSIM) to a lossless
// reference rendition, server CPU per rendition, and the Lightbox/ipx ratios. Also: PNG outputs against their
// originals, the social card, and the first AVIF rendition of a 12 MP photo at 1080 px. Everything on 127.0.0.1.
//
//   npx tsx bench/delivery-bytes.ts            ≈ 5 min
//   npx tsx bench/delivery-bytes.ts --quick    3 photos
//   add --no-write to leave docs/benchmarks.md alone
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { DEFAULT_IMAGE_LIMITS, parseRenditionParams, renderImage } from '../src/imaging/index.ts';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { type RgbaPixels, rgbaPixels, similarity } from '../src/imaging/similarity.ts';
import type { Child } from './lib/children.ts';
import { startIpx } from './lib/ipx.ts';
import { type LightboxServer, startLightbox, type UploadedMedia } from './lib/lightbox.ts';
import { waitForQuiet } from './lib/machine.ts';
import { PHOTO_HEIGHT, PHOTO_WIDTH, photoFiles } from './lib/photos.ts';
import { fixed, median, table } from './lib/stats.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
const WRITE = !process.argv.includes('--no-write');
const PHOTOS = QUICK ? 3 : 8;
/** The output of every comparison: `w=853` of a 4000 × 3000 photo is 853 × 640 (ipx: `w_853`). */
const WIDTH = 853;
const LOSSY = ['jpeg', 'webp', 'avif'] as const;
type Lossy = (typeof LOSSY)[number];
const EXT: Record<Lossy | 'png', string> = { jpeg: 'jpg', webp: 'webp', avif: 'avif', png: 'png' };

function log(message: string) {
  process.stderr.write(`[delivery-bytes ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** One rendition as a server answered it. */
interface Output {
  bytes: number;
  ssim: number;
  /** Server CPU for this request (all threads), ms. */
  cpuMs: number;
  /** Wall time at the client, ms. */
  wallMs: number;
}

async function fetchTimed(server: Child, url: string, headers: Record<string, string> = {}) {
  const cpuBefore = (await server.cpuSeconds()) ?? 0;
  const started = performance.now();
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(120_000) });
  const body = Buffer.from(await response.arrayBuffer());
  const wallMs = performance.now() - started;
  if (response.status !== 200)
    throw new Error(`${url} → ${response.status}: ${body.toString('utf8', 0, 200)}`);
  const cpuMs = (((await server.cpuSeconds()) ?? 0) - cpuBefore) * 1000;
  return { body, wallMs, cpuMs, type: response.headers.get('content-type') };
}

async function measured(server: Child, url: string, reference: RgbaPixels | null): Promise<Output> {
  const { body, wallMs, cpuMs } = await fetchTimed(server, url);
  const ssim = reference ? similarity(reference, await rgbaPixels(sharp(body))) : 1;
  return { bytes: body.length, ssim, cpuMs, wallMs };
}

/** Path + query of a Lightbox src with another extension. */
const lightboxUrl = (server: LightboxServer, media: UploadedMedia, ext: string, query: string) =>
  `${server.url}${new URL(media.src).pathname.replace(/\.[a-z]+$/, `.${ext}`)}${query ? `?${query}` : ''}`;

async function waitForPyramids(dataDir: string, count: number): Promise<void> {
  const db = new SqliteDatabase(path.join(dataDir, 'lightbox.db'), { readonly: true, fileMustExist: true });
  try {
    const started = Date.now();
    while (Date.now() - started < 300_000) {
      const row = db.prepare('select count(*) as n from media where levels > 0').get() as { n: number };
      if (row.n >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('pyramids were not built within 5 minutes');
  } finally {
    db.close();
  }
}

/** PNG sources as people upload them: a drawing exported as is, the same drawing palette-optimised, a photo. */
async function pngSources(dir: string): Promise<{ name: string; file: string }[]> {
  const shapes = Array.from({ length: 60 }, (_, i) => {
    const x = (i * 137) % 1500;
    const y = (i * 89) % 1100;
    const hue = (i * 47) % 360;
    return i % 3 === 0
      ? `<circle cx="${x + 50}" cy="${y + 50}" r="${30 + (i % 5) * 12}" fill="hsl(${hue},70%,55%)"/>`
      : `<rect x="${x}" y="${y}" width="${80 + (i % 7) * 20}" height="${40 + (i % 4) * 15}" rx="8" fill="hsl(${hue},60%,${40 + (i % 3) * 15}%)" stroke="#222" stroke-width="3"/>`;
  }).join('');
  const drawing = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="1200"><rect width="1600" height="1200" fill="#f4f1ea"/>${shapes}</svg>`,
  );
  const exported = await sharp(drawing).png().toBuffer();
  const optimised = await sharp(exported).png({ palette: true, colours: 64, compressionLevel: 9 }).toBuffer();
  const [photo] = await photoFiles(1);
  const photoPng = await sharp(photo as string)
    .resize(1600, 1200)
    .png()
    .toBuffer();
  const sources = [
    { name: 'drawing, exported (truecolour)', data: exported },
    { name: 'drawing, palette-optimised (64 colours)', data: optimised },
    { name: 'photo as PNG', data: photoPng },
  ];
  return Promise.all(
    sources.map(async ({ name, data }, i) => {
      const file = path.join(dir, `source-${i}.png`);
      await writeFile(file, data);
      return { name, file };
    }),
  );
}

interface Results {
  lossy: Record<Lossy, { lightbox: Output[]; ipx: Output[] }>;
  auto: Output[];
  png: {
    name: string;
    original: number;
    unparameterised: number;
    lightbox: Output;
    ipx: Output;
    social: { bytes: number; type: string | null };
  }[];
  avif: { serverMs: number[]; serverCpuMs: number[]; fromOriginalMs: number[]; ipxMs: number[] };
}

async function main() {
  const started = Date.now();
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'lightbox-bytes-'));
  const sourceDir = path.join(scratch, 'sources');
  await mkdir(sourceDir);
  log(`photos: ${PHOTOS} × ${PHOTO_WIDTH}×${PHOTO_HEIGHT}`);
  const photos: string[] = [];
  for (const [i, file] of (await photoFiles(PHOTOS)).entries()) {
    const copy = path.join(sourceDir, `photo-${i}.jpg`);
    await copyFile(file, copy);
    photos.push(copy);
  }
  const pngs = await pngSources(sourceDir);
  let lightbox: LightboxServer | undefined;
  let ipx: Child | undefined;
  try {
    const dataDir = path.join(scratch, 'lightbox');
    // The miss rate per client is not under test: every request here is a first request.
    lightbox = await startLightbox({
      repo: REPO,
      dataDir,
      env: { LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE: '100000' },
    });
    ipx = await startIpx({ repo: REPO, dir: sourceDir, logDir: scratch, probeFile: photos[0] as string });
    const photoMedia: UploadedMedia[] = [];
    for (const file of photos) photoMedia.push(await lightbox.upload(file));
    const pngMedia: UploadedMedia[] = [];
    for (const { file } of pngs) pngMedia.push(await lightbox.upload(file));
    await waitForPyramids(dataDir, photoMedia.length);
    const results = await measure(lightbox, ipx, photos, photoMedia, pngs, pngMedia);
    const report = formatReport(results, Date.now() - started);
    process.stdout.write(`\n${report}\n`);
    if (WRITE) {
      await writeSection(path.join(REPO, 'docs/benchmarks.md'), report);
      log('wrote docs/benchmarks.md (## Delivery bytes)');
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
  photos: string[],
  photoMedia: UploadedMedia[],
  pngs: { name: string; file: string }[],
  pngMedia: UploadedMedia[],
): Promise<Results> {
  const results: Results = {
    lossy: {
      jpeg: { lightbox: [], ipx: [] },
      webp: { lightbox: [], ipx: [] },
      avif: { lightbox: [], ipx: [] },
    },
    auto: [],
    png: [],
    avif: { serverMs: [], serverCpuMs: [], fromOriginalMs: [], ipxMs: [] },
  };
  const quiet = () =>
    waitForQuiet(() => [process.pid, lightbox.child.pid, ipx.pid], {
      maxForeign: 0.25,
      maxWaitMs: QUICK ? 3000 : 30_000,
    });

  for (const [i, file] of photos.entries()) {
    log(`photo ${i + 1}/${photos.length}`);
    const media = photoMedia[i] as UploadedMedia;
    const reference = await rgbaPixels(sharp(file).resize(WIDTH));
    await quiet();
    for (const format of LOSSY) {
      // Servers alternate who goes first.
      const lightboxRun = () =>
        measured(lightbox.child, lightboxUrl(lightbox, media, EXT[format], `w=${WIDTH}`), reference);
      const ipxRun = () =>
        measured(ipx, `${ipx.url}/w_${WIDTH},f_${format}/${path.basename(file)}`, reference);
      const bucket = results.lossy[format];
      if (i % 2 === 0) {
        bucket.lightbox.push(await lightboxRun());
        bucket.ipx.push(await ipxRun());
      } else {
        bucket.ipx.push(await ipxRun());
        bucket.lightbox.push(await lightboxRun());
      }
    }
    results.auto.push(
      await measured(lightbox.child, lightboxUrl(lightbox, media, 'jpg', `w=${WIDTH}&q=auto`), reference),
    );
    // The first AVIF at 1080 px (size=l: 1440 × 1080) — from the server (its pyramid level), and in-process from
    // the original (what a just-uploaded photo costs before its levels exist); ipx's for scale.
    await quiet();
    const first = await fetchTimed(lightbox.child, lightboxUrl(lightbox, media, 'avif', 'size=l'));
    results.avif.serverMs.push(first.wallMs);
    results.avif.serverCpuMs.push(first.cpuMs);
    const params = parseRenditionParams({
      ext: 'avif',
      query: new URLSearchParams('size=l'),
      source: 'jpeg',
    });
    const direct = performance.now();
    await renderImage({ input: file, sourceFormat: 'jpeg', params, limits: DEFAULT_IMAGE_LIMITS });
    results.avif.fromOriginalMs.push(performance.now() - direct);
    results.avif.ipxMs.push(
      (await fetchTimed(ipx, `${ipx.url}/w_1440,f_avif/${path.basename(file)}`)).wallMs,
    );
  }

  for (const [i, source] of pngs.entries()) {
    log(`PNG source ${i + 1}/${pngs.length}`);
    const media = pngMedia[i] as UploadedMedia;
    const original = await readFile(source.file);
    const reference = await rgbaPixels(sharp(source.file).resize(WIDTH));
    await quiet();
    const unparameterised = (await fetchTimed(lightbox.child, lightboxUrl(lightbox, media, 'png', ''))).body
      .length;
    const lightboxPng = await measured(
      lightbox.child,
      lightboxUrl(lightbox, media, 'png', `w=${WIDTH}`),
      reference,
    );
    const ipxPng = await measured(
      ipx,
      `${ipx.url}/w_${WIDTH},f_png/${path.basename(source.file)}`,
      reference,
    );
    const social = await fetchTimed(lightbox.child, lightboxUrl(lightbox, media, 'png', 'size=social'));
    results.png.push({
      name: source.name,
      original: original.length,
      unparameterised,
      lightbox: lightboxPng,
      ipx: ipxPng,
      social: { bytes: social.body.length, type: social.type },
    });
  }
  return results;
}

const kb = (bytes: number) => `${fixed(bytes / 1024, 1)} KB`;
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

function formatReport(results: Results, elapsedMs: number): string {
  const rows = LOSSY.map((format) => {
    const { lightbox, ipx } = results.lossy[format];
    return {
      format,
      lightboxBytes: mean(lightbox.map((o) => o.bytes)),
      ipxBytes: mean(ipx.map((o) => o.bytes)),
      lightboxSsim: mean(lightbox.map((o) => o.ssim)),
      ipxSsim: mean(ipx.map((o) => o.ssim)),
      lightboxCpu: median(lightbox.map((o) => o.cpuMs)),
      ipxCpu: median(ipx.map((o) => o.cpuMs)),
      // Per photo: the bytes ratio, and whether Lightbox's SSIM was at least ipx's.
      ratios: lightbox.map((o, i) => o.bytes / (ipx[i]?.bytes ?? Number.NaN)),
      ssimAtLeast: lightbox.filter((o, i) => o.ssim >= (ipx[i]?.ssim ?? 1)).length,
    };
  });
  const lossyTable = table(
    [
      `format (w=${WIDTH}, defaults)`,
      'bytes Lightbox',
      'bytes ipx',
      'Lightbox / ipx (mean; range)',
      'SSIM Lightbox',
      'SSIM ipx',
      'photos with SSIM ≥ ipx',
      'server CPU Lightbox',
      'server CPU ipx',
      'CPU Lightbox / ipx',
    ],
    rows.map((r) => [
      r.format,
      kb(r.lightboxBytes),
      kb(r.ipxBytes),
      `${fixed(r.lightboxBytes / r.ipxBytes, 3)}× (${fixed(Math.min(...r.ratios), 2)}–${fixed(Math.max(...r.ratios), 2)})`,
      fixed(r.lightboxSsim, 4),
      fixed(r.ipxSsim, 4),
      `${r.ssimAtLeast}/${r.ratios.length}`,
      `${fixed(r.lightboxCpu, 0)} ms`,
      `${fixed(r.ipxCpu, 0)} ms`,
      `${fixed(r.lightboxCpu / r.ipxCpu, 2)}×`,
    ]),
  );
  const jpeg = rows.find((r) => r.format === 'jpeg');
  const auto = results.auto;
  const autoTable = table(
    ['rendition', 'bytes', 'SSIM', 'server CPU', 'vs Lightbox default JPEG'],
    [
      [
        `.jpg?w=${WIDTH}&q=auto`,
        kb(mean(auto.map((o) => o.bytes))),
        fixed(mean(auto.map((o) => o.ssim)), 4),
        `${fixed(median(auto.map((o) => o.cpuMs)), 0)} ms`,
        `${fixed(mean(auto.map((o) => o.bytes)) / (jpeg?.lightboxBytes ?? Number.NaN), 3)}× bytes`,
      ],
    ],
  );
  const pngTable = table(
    [
      'PNG source (1600×1200)',
      'original',
      'Lightbox `.png` (no parameters)',
      `Lightbox w=${WIDTH}`,
      `ipx w_${WIDTH}`,
      'Lightbox / ipx',
      'social card (`.png?size=social`)',
    ],
    results.png.map((p) => [
      p.name,
      kb(p.original),
      `${kb(p.unparameterised)} (${fixed(p.unparameterised / p.original, 3)}×)`,
      `${kb(p.lightbox.bytes)} (${fixed(p.lightbox.bytes / p.original, 3)}× original)`,
      kb(p.ipx.bytes),
      `${fixed(p.lightbox.bytes / p.ipx.bytes, 3)}×`,
      `${kb(p.social.bytes)}, ${p.social.type}`,
    ]),
  );
  const avif = results.avif;
  const avifTable = table(
    ['first AVIF rendition of a 12 MP photo, 1440×1080', 'median', 'max', 'rounds'],
    [
      ['Lightbox server (HTTP, from its pyramid level), wall time at the client', avif.serverMs],
      ['Lightbox server: its CPU time for that request', avif.serverCpuMs],
      ['Lightbox renderImage in-process, from the original (before levels exist)', avif.fromOriginalMs],
      ['ipx (its defaults: effort 4, 4:4:4)', avif.ipxMs],
    ].map(([name, values]) => {
      const list = values as number[];
      return [
        name as string,
        `${fixed(median(list), 0)} ms`,
        `${fixed(Math.max(...list), 0)} ms`,
        list.map((v) => fixed(v, 0)).join(', '),
      ];
    }),
  );
  const goal = (name: string, target: string, measuredText: string, met: boolean) => [
    name,
    target,
    measuredText,
    met ? 'met' : 'NOT met',
  ];
  const goals = table(
    ['goal', 'target', 'measured', 'status'],
    [
      ...rows
        .filter((r) => r.format !== 'avif')
        .map((r) =>
          goal(
            `${r.format.toUpperCase()} bytes vs ipx's defaults, at equal or better SSIM`,
            '≤ 0.9×, SSIM ≥ ipx',
            `${fixed(r.lightboxBytes / r.ipxBytes, 3)}×, SSIM ${fixed(r.lightboxSsim, 4)} vs ${fixed(r.ipxSsim, 4)}`,
            r.lightboxBytes / r.ipxBytes <= 0.9 && r.lightboxSsim >= r.ipxSsim,
          ),
        ),
      goal(
        'PNG renditions and unparameterised PNGs never larger than the original',
        '≤ 1×',
        results.png
          .map((p) => `${fixed(Math.max(p.unparameterised, p.lightbox.bytes) / p.original, 3)}×`)
          .join(', '),
        results.png.every((p) => p.unparameterised <= p.original && p.lightbox.bytes <= p.original),
      ),
      goal(
        'first AVIF rendition of a 12 MP photo at 1080 px (server)',
        '≤ 400 ms',
        `${fixed(median(avif.serverMs), 0)} ms median, ${fixed(Math.max(...avif.serverMs), 0)} ms max`,
        median(avif.serverMs) <= 400,
      ),
      goal(
        'social card of a PNG source',
        'JPEG or WebP',
        [...new Set(results.png.map((p) => p.social.type))].join(', '),
        results.png.every((p) => p.social.type === 'image/jpeg' || p.social.type === 'image/webp'),
      ),
    ],
  );
  const facts = [
    `- Command: \`npx tsx bench/delivery-bytes.ts${QUICK ? ' --quick' : ''}\` (run ${new Date().toISOString().slice(0, 16)}Z, ${fixed(elapsedMs / 60_000, 1)} min)`,
    `- Machine: \`nproc\` = ${os.availableParallelism()}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, shared with other agents while measuring (before each photo the bench waits ≤ 30 s for others to use < 25 %; CPU is the server process's own CPU time, so it does not count what others take); sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}; ipx 3.1.1 (its own sharp 0.34.5).`,
    `- Sources: ${PHOTOS} generated photo-like ${PHOTO_WIDTH}×${PHOTO_HEIGHT} JPEGs (bench/lib/photos.ts) and 3 PNGs (a drawing as exported, the same drawing palette-optimised, a photo). Both servers get the same files; Lightbox after upload (its pyramid levels built), ipx from its folder.`,
    `- Each output is requested once from each server (a first, uncached request; servers alternating who goes first): Lightbox \`.<ext>?w=${WIDTH}\` and ipx \`/w_${WIDTH},f_<format>/<file>\`, both at their default quality. SSIM (ssim.js, Weber, full resolution, similarity.ts) against the lossless reference: the original resized to the same size by sharp (Lanczos 3). Means over the photos; CPU medians.`,
  ].join('\n');
  return [
    '## Delivery bytes',
    '',
    facts,
    '',
    '### Lossy formats against ipx',
    '',
    lossyTable,
    '',
    '### q=auto',
    '',
    autoTable,
    '',
    '### PNG',
    '',
    pngTable,
    '',
    '### First AVIF rendition',
    '',
    avifTable,
    '',
    '### Goals',
    '',
    goals,
    '',
  ].join('\n');
}

/** Replaces the `## Delivery bytes` section (or appends it), leaving everything else alone. */
async function writeSection(file: string, section: string) {
  let text = await readFile(file, 'utf8');
  const start = text.search(/^## Delivery bytes\s*$/m);
  if (start === -1) {
    text = `${text.trimEnd()}\n\n${section.trimEnd()}\n`;
  } else {
    const next = text.slice(start + 1).search(/^## /m);
    const end = next === -1 ? text.length : start + 1 + next;
    text = `${text.slice(0, start)}${section.trimEnd()}\n${end < text.length ? `\n${text.slice(end)}` : ''}`;
  }
  await writeFile(file, text);
}

await main();
