// Encoder settings chosen by measurement (issue 18): for each output format, bytes vs CPU vs similarity (SSIM to a
// lossless reference) over the settings sharp offers, in this process with the server's sharp settings (one libvips
// thread per pipeline, cache off). The pipeline is the server's: the pyramid level a rendition is computed from,
// resized, encoded. Prints the curves; writes them into docs/benchmarks.md (## Encoder settings) unless --no-write.
//
//   npx tsx bench/encoder-curve.ts                 ≈ 10 min quiet
//   npx tsx bench/encoder-curve.ts --quick         2 photos, 1 timing round
//   npx tsx bench/encoder-curve.ts --against-ipx   JPEG and WebP at 853×640 against ipx's defaults (its own sharp,
//                                                  from the original): which settings, source level, resampling
//                                                  kernel and quality reach ipx's SSIM in the fewest bytes
//                                                  (## Encoder settings against ipx)
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { buildPyramid, pyramidDepth } from '../src/imaging/index.ts';
import { type Sharp, sharp } from '../src/imaging/sharp-lib.ts';
import { rgbaPixels, similarity } from '../src/imaging/similarity.ts';
import { levelPipeline } from '../src/imaging/vips-level.ts';
import { waitForQuiet } from './lib/machine.ts';
import { PHOTO_HEIGHT, PHOTO_WIDTH, photoFiles } from './lib/photos.ts';
import { fixed, median, table } from './lib/stats.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
const WRITE = !process.argv.includes('--no-write');
const AGAINST_IPX = process.argv.includes('--against-ipx');
const PHOTOS = QUICK ? 2 : 5;
/** `--against-ipx` is about bytes and SSIM (CPU: bench/delivery.ts): one timing round. */
const ROUNDS = QUICK || AGAINST_IPX ? 1 : 3;

interface Setting {
  format: 'jpeg' | 'webp' | 'avif' | 'png';
  /** Settings other than quality: one curve per family, one point per quality. */
  family: string;
  quality: number | null;
  apply: (image: Sharp) => Sharp;
  /** The pyramid level to resize from instead of the target's (0: the original), and the kernel (libvips': Lanczos 3). */
  source?: { level?: number; kernel?: 'lanczos2' | 'lanczos3' };
  /** A step between the resize and the encoder (a pre-sharpen). */
  prepare?: (image: Sharp) => Sharp;
}

/** A family of encoder settings swept over `qualities`; `options(q)` are sharp's options. */
function family(
  format: 'jpeg' | 'webp' | 'avif',
  name: string,
  qualities: number[],
  options: (quality: number) => object,
  extra: Pick<Setting, 'source' | 'prepare'> = {},
): Setting[] {
  return qualities.map((quality) => ({
    format,
    family: name,
    quality,
    apply: (image: Sharp) => image.toFormat(format, options(quality)),
    ...extra,
  }));
}

const Q = QUICK ? [76, 80, 84] : [74, 76, 78, 80, 82, 84, 86, 88];

/** The first family of each format is sharp's default (what ipx sends): the others are compared with it. */
const JPEG: Setting[] = [
  ...family('jpeg', 'baseline (sharp default, ipx)', Q, (quality) => ({ quality })),
  ...family('jpeg', 'trellis', Q, (quality) => ({ quality, trellisQuantisation: true })),
  ...family('jpeg', 'table 3', Q, (quality) => ({ quality, quantisationTable: 3 })),
  ...family('jpeg', 'trellis + table 3', Q, (quality) => ({
    quality,
    trellisQuantisation: true,
    quantisationTable: 3,
  })),
  ...family('jpeg', 'trellis + table 3 + deringing', Q, (quality) => ({
    quality,
    trellisQuantisation: true,
    quantisationTable: 3,
    overshootDeringing: true,
  })),
  ...family('jpeg', 'mozjpeg preset (progressive, scans)', Q, (quality) => ({ quality, mozjpeg: true })),
];

const WEBP: Setting[] = [
  ...family('webp', 'effort 4 (sharp default, ipx)', Q, (quality) => ({ quality, effort: 4 })),
  ...[2, 3, 5, 6].flatMap((effort) =>
    family('webp', `effort ${effort}`, Q, (quality) => ({ quality, effort })),
  ),
  ...family('webp', 'effort 4 preset photo', Q, (quality) => ({ quality, effort: 4, preset: 'photo' })),
  ...family('webp', 'effort 4 smartSubsample', Q, (quality) => ({
    quality,
    effort: 4,
    smartSubsample: true,
  })),
];

const AQ = QUICK ? [45, 55, 65] : [40, 45, 50, 55, 60, 65, 70];
const AVIF: Setting[] = [
  ...family('avif', 'effort 4, 4:4:4 (sharp default, ipx)', [50], (quality) => ({ quality, effort: 4 })),
  ...[0, 1, 2, 3].flatMap((effort) =>
    family('avif', `effort ${effort}, 4:2:0`, AQ, (quality) => ({
      quality,
      effort,
      chromaSubsampling: '4:2:0',
    })),
  ),
  ...family('avif', 'effort 0, 4:4:4', AQ, (quality) => ({ quality, effort: 0 })),
];

const PNG: Setting[] = [
  ['level 6 (sharp default, ipx)', { compressionLevel: 6 }],
  ['level 6 adaptive filtering', { compressionLevel: 6, adaptiveFiltering: true }],
  ['level 4 adaptive filtering', { compressionLevel: 4, adaptiveFiltering: true }],
  ['level 8 adaptive filtering', { compressionLevel: 8, adaptiveFiltering: true }],
  ['level 9', { compressionLevel: 9 }],
  ['level 9 adaptive filtering', { compressionLevel: 9, adaptiveFiltering: true }],
].map(([label, options]) => ({
  format: 'png' as const,
  family: label as string,
  quality: null,
  apply: (image: Sharp) => image.png(options as object),
}));

/** `--against-ipx`: qualities around ipx's similarity (its default q80), every integer where the choice is made. */
const IQ = QUICK ? [80, 82, 84, 86] : [78, 80, 81, 82, 83, 84, 85, 86, 88];
const FLAT_Q = QUICK ? [56, 60, 64] : [54, 56, 58, 60, 62, 64, 66];
/** mozjpeg's coding without its table: what lossy-output.ts uses, with the table as a parameter. */
const mozCoding = { progressive: true, trellisQuantisation: true, optimiseScans: true, optimiseCoding: true };
/** Trellis quantisation and progressive coding without mozjpeg's search for the best scan splits. */
const trellisProgressive = { progressive: true, trellisQuantisation: true, optimiseCoding: true };
const gentleSharpen = (image: Sharp) => image.sharpen({ sigma: 0.5, m1: 0.5, m2: 1 });
/** Level 0: the original itself, so the pixels before encoding are ipx's (the encoders compared on equal input). */
const fromOriginal = { source: { level: 0 } } as const;

const JPEG_VS_IPX: Setting[] = [
  ...family('jpeg', 'baseline (sharp default)', IQ, (quality) => ({ quality })),
  ...family('jpeg', 'mozjpeg coding, table 0', IQ, (quality) => ({ quality, ...mozCoding })),
  ...family('jpeg', 'trellis, progressive, no scan search (chosen)', IQ, (quality) => ({
    quality,
    ...trellisProgressive,
  })),
  // The flat table keeps the high frequencies SSIM counts (noise included): it reaches ipx's SSIM near q60.
  ...family('jpeg', 'trellis, progressive, table 1 (flat)', FLAT_Q, (quality) => ({
    quality,
    ...trellisProgressive,
    quantisationTable: 1,
  })),
  ...family('jpeg', 'mozjpeg preset (table 3)', IQ, (quality) => ({ quality, mozjpeg: true })),
  ...family('jpeg', 'mozjpeg coding, table 2 (MS-SSIM)', IQ, (quality) => ({
    quality,
    ...mozCoding,
    quantisationTable: 2,
  })),
  ...family('jpeg', 'mozjpeg coding, from level 1', IQ, (quality) => ({ quality, ...mozCoding }), {
    source: { level: 1 },
  }),
  ...family('jpeg', 'mozjpeg coding, Lanczos 2', IQ, (quality) => ({ quality, ...mozCoding }), {
    source: { kernel: 'lanczos2' },
  }),
  ...family('jpeg', 'mozjpeg coding, pre-sharpened', IQ, (quality) => ({ quality, ...mozCoding }), {
    prepare: gentleSharpen,
  }),
  ...family(
    'jpeg',
    'mozjpeg coding, from the original',
    IQ,
    (quality) => ({ quality, ...mozCoding }),
    fromOriginal,
  ),
];

const WEBP_VS_IPX: Setting[] = [
  ...family('webp', 'effort 4 (sharp default)', IQ, (quality) => ({ quality, effort: 4 })),
  ...family('webp', 'effort 4, Lanczos 2 (chosen)', IQ, (quality) => ({ quality, effort: 4 }), {
    source: { kernel: 'lanczos2' },
  }),
  ...family('webp', 'effort 4, level 1, Lanczos 2', IQ, (quality) => ({ quality, effort: 4 }), {
    source: { level: 1, kernel: 'lanczos2' },
  }),
  ...family('webp', 'effort 6, Lanczos 2', IQ, (quality) => ({ quality, effort: 6 }), {
    source: { kernel: 'lanczos2' },
  }),
  ...family('webp', 'effort 4, preset photo', IQ, (quality) => ({ quality, effort: 4, preset: 'photo' }), {
    source: { kernel: 'lanczos2' },
  }),
  ...family(
    'webp',
    'effort 4, smartSubsample',
    IQ,
    (quality) => ({ quality, effort: 4, smartSubsample: true }),
    {
      source: { kernel: 'lanczos2' },
    },
  ),
  ...family('webp', 'effort 4, from the original', IQ, (quality) => ({ quality, effort: 4 }), fromOriginal),
];

/** One output size of the photos: the rendition, and the pyramid level the server computes it from. */
interface Target {
  name: string;
  width: number;
  height: number;
  level: number;
  settings: Setting[];
}

const TARGETS: Target[] = AGAINST_IPX
  ? [
      {
        name: '853×640 (size=m)',
        width: 853,
        height: 640,
        level: 2,
        settings: [...JPEG_VS_IPX, ...WEBP_VS_IPX],
      },
    ]
  : [
      { name: '853×640 (size=m)', width: 853, height: 640, level: 2, settings: [...JPEG, ...WEBP, ...PNG] },
      { name: '1440×1080 (size=l)', width: 1440, height: 1080, level: 1, settings: AVIF },
    ];

interface Row {
  target: string;
  format: string;
  family: string;
  quality: number | null;
  bytes: number[];
  ms: number[];
  ssim: number[];
}

function log(message: string) {
  process.stderr.write(`[encoder-curve ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main() {
  const started = Date.now();
  const files = (await photoFiles(PHOTOS)).slice(0, PHOTOS);
  const depth = pyramidDepth({ width: PHOTO_WIDTH, height: PHOTO_HEIGHT, format: 'jpeg', frames: 1 });
  const rows = new Map<string, Row>();
  for (const [index, file] of files.entries()) {
    log(`photo ${index + 1}/${files.length}`);
    const levels = await buildPyramid({ input: file, format: 'jpeg', depth });
    for (const target of TARGETS) {
      // The lossless reference: the original itself, resized (what a perfect encoder would deliver). Against ipx, the
      // reference of bench/delivery-bytes.ts: resized by width alone (one scale for both axes, as ipx's `w_` does).
      const reference = await rgbaPixels(
        AGAINST_IPX
          ? sharp(file).resize(target.width)
          : sharp(file).resize(target.width, target.height, { fit: 'fill' }),
      );
      await waitForQuiet(() => [process.pid], { maxForeign: 0.25, maxWaitMs: QUICK ? 2000 : 20_000 });
      if (AGAINST_IPX) {
        for (const format of ['jpeg', 'webp'] as const) {
          const output = await ipxOutput(file, format, target.width);
          const key = `${target.name} ${format} ${IPX_FAMILY} null`;
          const row = rows.get(key) ?? { ...emptyRow(target.name, format, IPX_FAMILY, null) };
          rows.set(key, row);
          row.bytes.push(output.length);
          row.ssim.push(similarity(reference, await rgbaPixels(sharp(output))));
        }
      }
      for (const setting of target.settings) {
        const levelNumber = setting.source?.level ?? target.level;
        const input = levelNumber === 0 ? await readFile(file) : levels[levelNumber - 1]?.data;
        if (!input) throw new Error(`no level ${levelNumber}`);
        const kernel = setting.source?.kernel ?? 'lanczos3';
        const key = `${target.name} ${setting.format} ${setting.family} ${setting.quality}`;
        const row = rows.get(key) ?? emptyRow(target.name, setting.format, setting.family, setting.quality);
        rows.set(key, row);
        let output = Buffer.alloc(0);
        const times: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const start = process.cpuUsage();
          const resized = levelPipeline(input, { failOn: 'error' })
            .resize(target.width, target.height, { fit: 'fill', kernel })
            .toColorspace('srgb');
          output = await setting.apply(setting.prepare ? setting.prepare(resized) : resized).toBuffer();
          const used = process.cpuUsage(start);
          times.push((used.user + used.system) / 1000);
        }
        row.bytes.push(output.length);
        row.ms.push(median(times));
        if (setting.format !== 'png') row.ssim.push(similarity(reference, await rgbaPixels(sharp(output))));
      }
    }
  }
  const report = AGAINST_IPX
    ? formatIpxReport([...rows.values()], Date.now() - started)
    : formatReport([...rows.values()], Date.now() - started);
  process.stdout.write(`\n${report}\n`);
  if (WRITE) {
    const title = AGAINST_IPX ? IPX_SECTION : '## Encoder settings';
    await writeSection(path.join(REPO, 'docs/benchmarks.md'), report, title);
    log(`wrote docs/benchmarks.md (${title})`);
  }
}

const emptyRow = (target: string, format: string, family: string, quality: number | null): Row => ({
  target,
  format,
  family,
  quality,
  bytes: [],
  ms: [],
  ssim: [],
});

const IPX_FAMILY = 'ipx';
const IPX_SECTION = '## Encoder settings against ipx';

/**
 * What ipx sends for `/w_<width>,f_<format>/<file>`: its own sharp (the version it depends on), from the original,
 * `resize(width)` and `toFormat(format)` with its default quality (bench/lib/ipx-server.ts serves the same).
 */
async function ipxOutput(file: string, format: 'jpeg' | 'webp', width: number): Promise<Buffer> {
  const ipxSharp = await ipxSharpModule();
  const image = ipxSharp(file);
  // createIPX's default sharp options (`jpegProgressive: true`), applied as ipx applies them.
  Object.assign((image as unknown as { options: object }).options, { jpegProgressive: true });
  return image.resize(width).toFormat(format).toBuffer();
}

let ipxSharpLoaded: typeof sharp | undefined;
async function ipxSharpModule(): Promise<typeof sharp> {
  if (!ipxSharpLoaded) {
    // ipx's sharp: nested under ipx when its version differs from ours, else ours.
    const require = createRequire(path.join(REPO, 'node_modules/ipx/package.json'));
    ipxSharpLoaded = require('sharp') as typeof sharp;
    log(`ipx's sharp ${ipxSharpLoaded.versions.sharp}`);
  }
  return ipxSharpLoaded;
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/** A family's curve, one point per quality: mean bytes, median CPU, mean SSIM. */
interface Point {
  quality: number | null;
  bytes: number;
  ms: number;
  ssim: number;
}

const pointsOf = (rows: Row[]): Point[] =>
  rows.map((r) => ({ quality: r.quality, bytes: mean(r.bytes), ms: median(r.ms), ssim: mean(r.ssim) }));

/**
 * Bytes, CPU and quality where a curve reaches `ssim` (linear between the two points around it); null when no point
 * of the curve reaches it.
 */
function atSimilarity(points: Point[], ssim: number): { bytes: number; ms: number; quality: number } | null {
  const sorted = [...points].sort((a, b) => a.ssim - b.ssim);
  for (let i = 0; i < sorted.length; i++) {
    const high = sorted[i] as Point;
    if (high.ssim < ssim) continue;
    const low = sorted[i - 1];
    if (!low) return { bytes: high.bytes, ms: high.ms, quality: high.quality ?? 0 };
    const t = (ssim - low.ssim) / (high.ssim - low.ssim);
    const lerp = (a: number, b: number) => a + (b - a) * t;
    return {
      bytes: lerp(low.bytes, high.bytes),
      ms: lerp(low.ms, high.ms),
      quality: lerp(low.quality ?? 0, high.quality ?? 0),
    };
  }
  return null;
}

function formatReport(rows: Row[], elapsedMs: number): string {
  const sections: string[] = [];
  for (const target of TARGETS) {
    for (const format of ['jpeg', 'webp', 'avif', 'png'] as const) {
      const group = rows.filter((r) => r.target === target.name && r.format === format);
      if (group.length === 0) continue;
      const families = [...new Set(group.map((r) => r.family))];
      const title = `### ${format.toUpperCase()}, ${target.name}`;
      if (format === 'png') {
        const base = pointsOf(group)[0] as Point;
        sections.push(
          title,
          '',
          table(
            ['setting', 'bytes (mean)', 'vs first row', 'CPU ms (median)', 'vs first row'],
            group.map((r) => {
              const [p] = pointsOf([r]) as [Point];
              return [
                r.family,
                `${fixed(p.bytes / 1024, 1)} KB`,
                `${fixed(p.bytes / base.bytes, 3)}×`,
                fixed(p.ms, 1),
                `${fixed(p.ms / base.ms, 2)}×`,
              ];
            }),
          ),
          '',
        );
        continue;
      }
      // The reference point: sharp's default settings at its default quality (what ipx sends without `q`).
      const defaultQuality = format === 'avif' ? 50 : 80;
      const baseFamily = group.filter((r) => r.family === families[0]);
      const reference = pointsOf(baseFamily).find((p) => p.quality === defaultQuality) as Point;
      const summary = families.map((name) => {
        const points = pointsOf(group.filter((r) => r.family === name));
        const at = atSimilarity(points, reference.ssim);
        return [
          name,
          at ? fixed(at.quality, 1) : 'not reached',
          at ? `${fixed(at.bytes / 1024, 1)} KB` : '',
          at ? `${fixed(at.bytes / reference.bytes, 3)}×` : '',
          at ? fixed(at.ms, 1) : '',
          at ? `${fixed(at.ms / reference.ms, 2)}×` : '',
        ];
      });
      const curves = families.map((name) => {
        const points = pointsOf(group.filter((r) => r.family === name));
        return `- ${name}: ${points
          .map(
            (p) =>
              `q${p.quality} ${fixed(p.bytes / 1024, 1)} KB / ${fixed(p.ms, 0)} ms / ${fixed(p.ssim, 4)}`,
          )
          .join('; ')}`;
      });
      sections.push(
        title,
        '',
        `At the similarity of sharp's default (q${defaultQuality}: SSIM ${fixed(reference.ssim, 4)}, ${fixed(reference.bytes / 1024, 1)} KB, ${fixed(reference.ms, 1)} ms):`,
        '',
        table(['settings', 'quality for that SSIM', 'bytes', 'vs default', 'CPU ms', 'vs default'], summary),
        '',
        'Curves (quality: mean bytes / median CPU / mean SSIM):',
        '',
        ...curves,
        '',
      );
    }
  }
  const facts = [
    `- Command: \`npx tsx bench/encoder-curve.ts${QUICK ? ' --quick' : ''}\` (run ${new Date().toISOString().slice(0, 16)}Z, ${fixed(elapsedMs / 60_000, 1)} min)`,
    `- Machine: \`nproc\` = ${os.availableParallelism()}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, shared with other agents (each photo and output size waits ≤ 20 s for others to use < 25 % of the machine; CPU time of this process is measured, not wall time); sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}, one libvips thread per pipeline as in the server.`,
    `- Sources: ${PHOTOS} generated photo-like ${PHOTO_WIDTH}×${PHOTO_HEIGHT} JPEGs (bench/lib/photos.ts). Each output is computed like the server does, from the pyramid level (JPEG q100 4:2:0, resized from the original) that covers it, resized to the output size; CPU is decode + resize + encode, median of ${ROUNDS} rounds per photo. SSIM (ssim.js, Weber variant, full resolution) is measured against the original resized losslessly to the same size. "quality for that SSIM" interpolates linearly between the two measured qualities around it. PNG rows compress the same photo pixels losslessly.`,
  ].join('\n');
  return ['## Encoder settings', '', facts, '', ...sections].join('\n');
}

/** `--against-ipx`: per format, every family at ipx's similarity — interpolated, and at the first measured quality. */
function formatIpxReport(rows: Row[], elapsedMs: number): string {
  const sections: string[] = [];
  for (const format of ['jpeg', 'webp'] as const) {
    const group = rows.filter((r) => r.format === format);
    const ipx = group.find((r) => r.family === IPX_FAMILY);
    if (!ipx) continue;
    const ipxBytes = mean(ipx.bytes);
    const ipxSsim = mean(ipx.ssim);
    const families = [...new Set(group.map((r) => r.family))].filter((name) => name !== IPX_FAMILY);
    const rowsOf = (name: string) => group.filter((r) => r.family === name);
    const summary = families.map((name) => {
      const points = pointsOf(rowsOf(name));
      const at = atSimilarity(points, ipxSsim);
      const first = rowsOf(name)
        .filter((r) => mean(r.ssim) >= ipxSsim)
        .sort((a, b) => (a.quality ?? 0) - (b.quality ?? 0))[0];
      return [
        name,
        at ? `q${fixed(at.quality, 1)}: ${fixed(at.bytes / ipxBytes, 3)}×` : 'not reached',
        first ? `q${first.quality}` : '—',
        first ? `${fixed(mean(first.bytes) / 1024, 1)} KB` : '',
        first ? `${fixed(mean(first.bytes) / ipxBytes, 3)}×` : '',
        first ? `+${fixed(mean(first.ssim) - ipxSsim, 4)}` : '',
        first ? `${first.ssim.filter((v, i) => v >= (ipx.ssim[i] ?? 1)).length}/${first.ssim.length}` : '',
        first ? fixed(median(first.ms), 0) : '',
      ];
    });
    const curves = families.map(
      (name) =>
        `- ${name}: ${pointsOf(rowsOf(name))
          .map((p) => `q${p.quality} ${fixed(p.bytes / ipxBytes, 3)}× / ${fixed(p.ssim, 4)}`)
          .join('; ')}`,
    );
    sections.push(
      `### ${format.toUpperCase()}, 853×640: ipx ${fixed(ipxBytes / 1024, 1)} KB at SSIM ${fixed(ipxSsim, 4)}`,
      '',
      table(
        [
          'settings',
          "at ipx's SSIM (interpolated): q, bytes vs ipx",
          "first measured q with mean SSIM ≥ ipx's",
          'bytes',
          'vs ipx',
          'SSIM − ipx',
          'photos ≥ ipx',
          'CPU ms (decode + resize + encode)',
        ],
        summary,
      ),
      '',
      "Curves (quality: bytes vs ipx's / mean SSIM):",
      '',
      ...curves,
      '',
    );
  }
  const facts = [
    `- Command: \`npx tsx bench/encoder-curve.ts --against-ipx${QUICK ? ' --quick' : ''}\` (run ${new Date().toISOString().slice(0, 16)}Z, ${fixed(elapsedMs / 60_000, 1)} min)`,
    `- Machine: \`nproc\` = ${os.availableParallelism()}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, shared with other agents (each photo waits ≤ 20 s for others to use < 25 %; CPU is this process's CPU time, median of ${ROUNDS} rounds); sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}, one libvips thread per pipeline as in the server.`,
    `- Sources: ${PHOTOS} generated photo-like ${PHOTO_WIDTH}×${PHOTO_HEIGHT} JPEGs (bench/lib/photos.ts), the first of those \`bench/delivery-bytes.ts\` uses. ipx: its own sharp from the original, \`resize(853)\`, its default quality and options (q80; JPEG progressive 4:2:0, WebP effort 4), as its server answers \`/w_853,f_<format>/\`. Lightbox: like the server, from a pyramid level (JPEG q100 4:2:0 resized from the original; level 2, 1000×750, unless the row says level 1, 2000×1500, or the original — ipx's own pixels before encoding), resized to 853×640 (Lanczos 3 unless the row says Lanczos 2), encoded (JPEG 4:2:0). SSIM: ssim.js (Weber, full resolution; it compares luma only) against the original resized by sharp to 853 px wide (Lanczos 3, one scale for both axes — the reference of \`bench/delivery-bytes.ts\`; Lightbox resizes to exactly 853×640, 0.04 % taller, which costs it ≈ 0.0005 of SSIM against this reference). Means over the photos.`,
    "- The issue's goal is ≤ 0.9× ipx's bytes at an SSIM ≥ ipx's. \"Pre-sharpened\": `sharpen({sigma: 0.5, m1: 0.5, m2: 1})` after the resize.",
  ].join('\n');
  return [IPX_SECTION, '', facts, '', ...sections].join('\n');
}

/** Replaces the section `title` (or appends it), leaving everything else alone. */
async function writeSection(file: string, section: string, title: string) {
  let text = await readFile(file, 'utf8');
  const start = text.search(new RegExp(`^${title}\\s*$`, 'm'));
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
