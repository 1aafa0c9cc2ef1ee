// Encoder settings chosen by measurement (issue 18): for each output format, bytes vs CPU vs similarity (SSIM to a
// lossless reference) over the settings sharp offers, in this process with the server's sharp settings (one libvips
// thread per pipeline, cache off). The pipeline is the server's: the pyramid level a rendition is computed from,
// resized, encoded. Prints the curves; writes them into docs/benchmarks.md (## Encoder settings) unless --no-write.
//
//   npx tsx bench/encoder-curve.ts            ≈ 4 min
//   npx tsx bench/encoder-curve.ts --quick    2 photos, 1 timing round
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildPyramid, pyramidDepth } from '../src/imaging/index.ts';
import { type Sharp, sharp } from '../src/imaging/sharp-lib.ts';
import { rgbaPixels, similarity } from '../src/imaging/similarity.ts';
import { waitForQuiet } from './lib/machine.ts';
import { PHOTO_HEIGHT, PHOTO_WIDTH, photoFiles } from './lib/photos.ts';
import { fixed, median, table } from './lib/stats.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
const WRITE = !process.argv.includes('--no-write');
const PHOTOS = QUICK ? 2 : 5;
const ROUNDS = QUICK ? 1 : 3;

interface Setting {
  format: 'jpeg' | 'webp' | 'avif' | 'png';
  /** Settings other than quality: one curve per family, one point per quality. */
  family: string;
  quality: number | null;
  apply: (image: Sharp) => Sharp;
}

/** A family of encoder settings swept over `qualities`; `options(q)` are sharp's options. */
function family(
  format: 'jpeg' | 'webp' | 'avif',
  name: string,
  qualities: number[],
  options: (quality: number) => object,
): Setting[] {
  return qualities.map((quality) => ({
    format,
    family: name,
    quality,
    apply: (image: Sharp) => image.toFormat(format, options(quality)),
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

/** One output size of the photos: the rendition, and the pyramid level the server computes it from. */
interface Target {
  name: string;
  width: number;
  height: number;
  level: number;
  settings: Setting[];
}

const TARGETS: Target[] = [
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
      const level = levels[target.level - 1];
      if (!level) throw new Error(`no level ${target.level}`);
      // The lossless reference: the original itself, resized (what a perfect encoder would deliver).
      const reference = await rgbaPixels(sharp(file).resize(target.width, target.height, { fit: 'fill' }));
      await waitForQuiet(() => [process.pid], { maxForeign: 0.25, maxWaitMs: QUICK ? 2000 : 20_000 });
      for (const setting of target.settings) {
        const key = `${target.name} ${setting.format} ${setting.family} ${setting.quality}`;
        const row = rows.get(key) ?? {
          target: target.name,
          format: setting.format,
          family: setting.family,
          quality: setting.quality,
          bytes: [],
          ms: [],
          ssim: [],
        };
        rows.set(key, row);
        let output = Buffer.alloc(0);
        const times: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const start = process.cpuUsage();
          output = await setting
            .apply(
              sharp(level.data, { failOn: 'error' })
                .resize(target.width, target.height, { fit: 'fill' })
                .toColorspace('srgb'),
            )
            .toBuffer();
          const used = process.cpuUsage(start);
          times.push((used.user + used.system) / 1000);
        }
        row.bytes.push(output.length);
        row.ms.push(median(times));
        if (setting.format !== 'png') row.ssim.push(similarity(reference, await rgbaPixels(sharp(output))));
      }
    }
  }
  const report = formatReport([...rows.values()], Date.now() - started);
  process.stdout.write(`\n${report}\n`);
  if (WRITE) {
    await writeSection(path.join(REPO, 'docs/benchmarks.md'), report);
    log('wrote docs/benchmarks.md (## Encoder settings)');
  }
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
    `- Sources: ${PHOTOS} generated photo-like ${PHOTO_WIDTH}×${PHOTO_HEIGHT} JPEGs (bench/lib/photos.ts). Each output is computed like the server does, from the pyramid level (JPEG q95 4:4:4) that covers it, resized to the output size; CPU is decode + resize + encode, median of ${ROUNDS} rounds per photo. SSIM (ssim.js, Weber variant, full resolution) is measured against the original resized losslessly to the same size. "quality for that SSIM" interpolates linearly between the two measured qualities around it. PNG rows compress the same photo pixels losslessly.`,
  ].join('\n');
  return ['## Encoder settings', '', facts, '', ...sections].join('\n');
}

/** Replaces the `## Encoder settings` section (or appends it), leaving everything else alone. */
async function writeSection(file: string, section: string) {
  let text = await readFile(file, 'utf8');
  const start = text.search(/^## Encoder settings\s*$/m);
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
