// Issue 14: how well each segmenter of bench/enhance-quality-providers.ts cuts out products, and what the
// whole pipeline makes of it. Every case of the studio composites (src/imaging/enhance/testing/
// studio-composites.ts: generated photos with a known ground-truth mask) goes through
//   decode → segment (that one provider) → select → enlargement limit → compose the catalog image,
// the steps of create-enhancer.ts with the provider injected (limit at its default, 4×; selection and composing
// in the enhancement worker threads, enhance-workers.ts, shared with the classical segmenter). Keep the two in
// step.
// Per case and in total: mask IoU against the truth, refusals, results completed with IoU < 0.8 (must be 0),
// the catalog-image checks (pure 255 frame, no alpha, 85 % fill, centring), wall time, CPU (the whole
// process: main thread, libvips and worker threads), main-thread busy time, the longest event-loop stall,
// peak RSS.
//
// Run: npx tsx bench/enhance-quality.ts [--quick | --holdout] [--json] [--only <label>]… [--case <name>]… [--save <dir>]
// (--holdout runs the held-out cases instead of the main set: thresholds tuned on the main set must carry
// over; --save writes each catalog image as <dir>/<label>-<case>.jpg, to look at.)
// Prints Markdown ready to paste into docs/benchmarks.md § Enhancement quality (or JSON with --json).
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_UPSCALE, upscaleRefusal } from '../src/imaging/enhance/canvas-plan.ts';
import type { ComposedImage } from '../src/imaging/enhance/compose-catalog-image.ts';
import type { EnhancePreset } from '../src/imaging/enhance/enhance-types.ts';
import { EnhanceWorkers } from '../src/imaging/enhance/enhance-workers.ts';
import type { AlphaMask } from '../src/imaging/enhance/pixel-buffers.ts';
import { segmentWithChain } from '../src/imaging/enhance/provider-chain.ts';
import { ProviderError } from '../src/imaging/enhance/provider-error.ts';
import type { ImageWorkRunner, SegmentationProvider } from '../src/imaging/enhance/segmentation-provider.ts';
import {
  decodeOutput,
  frameIsPureWhite,
  nonWhiteBox,
} from '../src/imaging/enhance/testing/measure-catalog-image.ts';
import {
  type EvaluationCase,
  HOLDOUT_COMPOSITE_NAMES,
  maskIoU,
  QUICK_COMPOSITE_NAMES,
  STUDIO_COMPOSITE_NAMES,
  studioComposite,
} from '../src/imaging/enhance/testing/studio-composites.ts';
import { decodeWorkingImage } from '../src/imaging/enhance/working-image.ts';
import { sharedImageWorkQueue } from '../src/imaging/image-work-queue.ts';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { QUALITY_PROVIDERS, type QualityProvider } from './enhance-quality-providers.ts';
import { withForeignLoad } from './lib/machine.ts';
import { median, table } from './lib/stats.ts';

/** Below this IoU a cut-out is visibly wrong: reporting it as completed is the failure issue 14 is about. */
const BAD_IOU = 0.8;
const GOAL_MEDIAN_IOU = 0.95;
const GOAL_ITEM_MS = 1500;
const GOAL_LOOP_MS = 50;
const FILL = 0.85;
/** Catalog-check tolerances, as shares of the canvas side. */
const FILL_TOLERANCE = 0.03;
const CENTRE_TOLERANCE = 0.02;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    holdout: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    case: { type: 'string', multiple: true },
    save: { type: 'string' },
  },
});

interface CaseResult {
  readonly name: string;
  readonly category: string;
  readonly expect: string;
  readonly size: string;
  readonly preset: EnhancePreset;
  readonly outcome: 'completed' | 'refused' | 'error';
  /** Refusal or error message. */
  readonly message?: string;
  /** The provider's mask against the truth (null when it refused). */
  readonly maskIoU: number | null;
  /** The mask the catalog image was composed from (after object selection) against the truth. */
  readonly keptIoU: number | null;
  readonly warnings: readonly string[];
  readonly catalog?: CatalogChecks;
  readonly itemMs: number;
  readonly itemCpuMs: number;
  readonly segmentMs: number;
  readonly segmentCpuMs: number;
  /** Main-thread busy time while the provider worked: what it did not move off the event loop. */
  readonly segmentMainThreadMs: number;
  /** Main-thread busy time during the item (event-loop utilisation × time). */
  readonly mainThreadMs: number;
  readonly segmentLoopMaxMs: number;
  /** After the provider answered: object selection and composing (their pixel loops run in worker threads). */
  readonly afterSegmentMainThreadMs: number;
  readonly afterSegmentLoopMaxMs: number;
  readonly itemLoopMaxMs: number;
}

interface CatalogChecks {
  readonly side: number;
  readonly pureWhiteFrame: boolean;
  readonly noAlpha: boolean;
  readonly square: boolean;
  /** |longer side of the product box / canvas side − 0.85|. */
  readonly fillError: number;
  /** Largest offset of the product box's centre from the canvas centre, / canvas side. */
  readonly centreError: number;
}

interface ProviderRun {
  readonly label: string;
  readonly description: string;
  readonly warmUpMs: number;
  readonly cases: CaseResult[];
  readonly peakRssMb: number;
  /** Share of the machine's CPU used by other processes during the run. */
  readonly foreignLoad: number;
}

const maxOf = (values: readonly number[]): number => (values.length === 0 ? Number.NaN : Math.max(...values));

const runImageWork: ImageWorkRunner = (job) => sharedImageWorkQueue.run(job);
const presetFor = (c: EvaluationCase): EnhancePreset =>
  c.productCount > 1 ? 'clean_catalog_group' : 'marketplace_clean_catalog';

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
};

async function runCase(
  label: string,
  entry: SegmentationProvider,
  workers: EnhanceWorkers,
  c: EvaluationCase,
): Promise<CaseResult> {
  const preset = presetFor(c);
  const segmentLoop = monitorEventLoopDelay({ resolution: 1 });
  const itemLoop = monitorEventLoopDelay({ resolution: 1 });
  const afterLoop = monitorEventLoopDelay({ resolution: 1 });
  let afterElu: ReturnType<typeof performance.eventLoopUtilization> | null = null;
  let mask: AlphaMask | null = null;
  let segmentMs = 0;
  let segmentCpuMs = 0;
  let segmentMainThreadMs = 0;
  // The provider, watched: its own time and the event-loop stalls while it works.
  const measured: SegmentationProvider = {
    name: entry.name,
    async segment(image, signal) {
      segmentLoop.enable();
      const segmentElu = performance.eventLoopUtilization();
      const started = performance.now();
      const cpu = process.cpuUsage();
      try {
        const segmentation = await entry.segment(image, signal);
        mask = segmentation.mask;
        return segmentation;
      } finally {
        segmentMs = performance.now() - started;
        segmentCpuMs = cpuMsSince(cpu);
        segmentMainThreadMs = performance.eventLoopUtilization(segmentElu).active;
        await settle();
        segmentLoop.disable();
        afterLoop.enable();
        afterElu = performance.eventLoopUtilization();
      }
    },
  };

  itemLoop.enable();
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  const cpu = process.cpuUsage();
  let outcome: CaseResult['outcome'] = 'completed';
  let message: string | undefined;
  let composed: ComposedImage | null = null;
  let kept: Uint8Array | null = null;
  let warnings: string[] = [];
  try {
    const image = await runImageWork(() => decodeWorkingImage(c.jpeg));
    const chosen = await segmentWithChain([measured], image, preset, (mask, keep, signal) =>
      runImageWork(() => workers.selectForeground(mask, keep, signal)),
    );
    kept = chosen.selection.alpha;
    const { box } = chosen.selection;
    const tooSmall = upscaleRefusal(preset, Math.max(box.width, box.height), DEFAULT_MAX_UPSCALE);
    if (tooSmall) throw new ProviderError(tooSmall);
    composed = await runImageWork(() =>
      workers.compose({
        image,
        mask: chosen.segmentation.mask,
        selection: chosen.selection,
        preset,
        preservationLevel: 'strict',
      }),
    );
    warnings = [...chosen.segmentation.warnings, ...composed.warnings].map((w) => w.code);
    if (args.save) await writeFile(join(args.save, `${label}-${c.name}.jpg`), composed.image);
  } catch (error) {
    outcome = error instanceof ProviderError ? 'refused' : 'error';
    message = error instanceof Error ? error.message : String(error);
  }
  const itemMs = performance.now() - started;
  const itemCpuMs = cpuMsSince(cpu);
  await settle();
  itemLoop.disable();
  afterLoop.disable();
  const mainThreadMs = performance.eventLoopUtilization(elu).active;
  const afterSegmentMainThreadMs = afterElu ? performance.eventLoopUtilization(afterElu).active : 0;

  const truth = c.truth;
  const keptMask = kept ? { width: truth.width, height: truth.height, data: kept } : null;
  return {
    name: c.name,
    category: c.category,
    expect: c.expect,
    size: `${c.image.width}×${c.image.height}`,
    preset,
    outcome,
    ...(message === undefined ? {} : { message }),
    maskIoU: mask ? maskIoU(mask, truth) : null,
    keptIoU: keptMask ? maskIoU(keptMask, truth) : null,
    warnings,
    ...(composed ? { catalog: await catalogChecks(composed.image) } : {}),
    itemMs,
    itemCpuMs,
    segmentMs,
    segmentCpuMs,
    segmentMainThreadMs,
    mainThreadMs,
    segmentLoopMaxMs: segmentMs > 0 ? segmentLoop.max / 1e6 : 0,
    afterSegmentMainThreadMs,
    afterSegmentLoopMaxMs: afterElu ? afterLoop.max / 1e6 : 0,
    itemLoopMaxMs: itemLoop.max / 1e6,
  };
}

async function catalogChecks(jpeg: Buffer): Promise<CatalogChecks> {
  const output = await decodeOutput(jpeg);
  const side = output.width;
  const box = nonWhiteBox(output);
  const fill = box ? Math.max(box.width, box.height) / side : 0;
  const centreX = box ? box.left + box.width / 2 : 0;
  const centreY = box ? box.top + box.height / 2 : 0;
  return {
    side,
    pureWhiteFrame: frameIsPureWhite(output),
    noAlpha: output.channels === 3,
    square: output.width === output.height,
    fillError: Math.abs(fill - FILL),
    centreError: Math.max(Math.abs(centreX - side / 2), Math.abs(centreY - output.height / 2)) / side,
  };
}

const catalogPasses = (k: CatalogChecks): boolean =>
  k.pureWhiteFrame &&
  k.noAlpha &&
  k.square &&
  k.fillError <= FILL_TOLERANCE &&
  k.centreError <= CENTRE_TOLERANCE;

async function runProvider(quality: QualityProvider, cases: readonly EvaluationCase[]): Promise<ProviderRun> {
  // As in create-enhancer.ts: one pool of worker threads for the classical segmenter, selection and composing.
  const workers = new EnhanceWorkers();
  const provider = quality.create(runImageWork, workers);
  try {
    // The first item pays for module loading, worker start-up and JIT; it is reported, not counted.
    const warmStarted = performance.now();
    await runCase(quality.label, provider, workers, cases[0]!);
    const warmUpMs = performance.now() - warmStarted;

    let peakRss = process.memoryUsage.rss();
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 10);
    const { value: results, foreign } = await withForeignLoad(
      () => [process.pid],
      async () => {
        const results: CaseResult[] = [];
        for (const c of cases) {
          results.push(await runCase(quality.label, provider, workers, c));
          if (!args.json) process.stderr.write('.');
        }
        return results;
      },
    );
    clearInterval(sampler);
    if (!args.json) process.stderr.write('\n');
    return {
      label: quality.label,
      description: quality.description,
      warmUpMs,
      cases: results,
      peakRssMb: peakRss / 2 ** 20,
      foreignLoad: foreign,
    };
  } finally {
    await provider.close?.();
    await workers.close();
  }
}

interface Summary {
  readonly cases: number;
  readonly completed: number;
  readonly refused: number;
  readonly refusedExpectedComplete: number;
  readonly errors: number;
  readonly badCompleted: number;
  /** Over the cases expected to complete, a refusal counting as IoU 0. */
  readonly medianIoU: number;
  readonly medianIoUCompleted: number;
  readonly catalogFailures: number;
  readonly medianItemMs: number;
  readonly maxItemMs: number;
  readonly medianItemCpuMs: number;
  readonly maxItemCpuMs: number;
  readonly medianMainThreadMs: number;
  readonly medianSegmentMainThreadMs: number;
  readonly medianAfterSegmentMainThreadMs: number;
  readonly maxAfterSegmentLoopMs: number;
  readonly maxSegmentLoopMs: number;
  readonly maxItemLoopMs: number;
}

function summarise(run: ProviderRun): Summary {
  const all = run.cases;
  const completed = all.filter((r) => r.outcome === 'completed');
  // The time goal is stated for full-size photos made into the 1600² marketplace canvas; a refusal costs
  // little and would only pull the median down.
  const timed = completed.filter((r) => r.size === '1200×900' && r.preset === 'marketplace_clean_catalog');
  return {
    cases: all.length,
    completed: completed.length,
    refused: all.filter((r) => r.outcome === 'refused').length,
    refusedExpectedComplete: all.filter((r) => r.outcome === 'refused' && r.expect === 'complete').length,
    errors: all.filter((r) => r.outcome === 'error').length,
    badCompleted: completed.filter((r) => (r.keptIoU ?? 0) < BAD_IOU).length,
    medianIoU: median(all.filter((r) => r.expect === 'complete').map((r) => r.keptIoU ?? 0)),
    medianIoUCompleted: median(completed.map((r) => r.keptIoU ?? 0)),
    catalogFailures: completed.filter((r) => !r.catalog || !catalogPasses(r.catalog)).length,
    medianItemMs: median(timed.map((r) => r.itemMs)),
    maxItemMs: maxOf(timed.map((r) => r.itemMs)),
    medianItemCpuMs: median(timed.map((r) => r.itemCpuMs)),
    maxItemCpuMs: maxOf(timed.map((r) => r.itemCpuMs)),
    medianMainThreadMs: median(completed.map((r) => r.mainThreadMs)),
    medianSegmentMainThreadMs: median(completed.map((r) => r.segmentMainThreadMs)),
    medianAfterSegmentMainThreadMs: median(completed.map((r) => r.afterSegmentMainThreadMs)),
    maxAfterSegmentLoopMs: maxOf(completed.map((r) => r.afterSegmentLoopMaxMs)),
    maxSegmentLoopMs: maxOf(all.map((r) => r.segmentLoopMaxMs)),
    maxItemLoopMs: maxOf(all.map((r) => r.itemLoopMaxMs)),
  };
}

const ms = (value: number): string => (Number.isFinite(value) ? `${Math.round(value)} ms` : 'n/a');
const seconds = (value: number): string =>
  Number.isFinite(value) ? `${(value / 1000).toFixed(2)} s` : 'n/a';
const iou = (value: number | null): string =>
  value === null ? '—' : Number.isFinite(value) ? value.toFixed(3) : 'n/a';
const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;
/** Nothing measured (no completed item) is neither met nor missed. */
const goal = (value: number, met: (value: number) => boolean): string =>
  Number.isFinite(value) ? (met(value) ? 'met' : '**missed**') : 'n/a';

function caseCell(r: CaseResult): string {
  if (r.outcome === 'refused') {
    // Refused after segmenting (the enlargement limit): the mask's quality is still worth seeing.
    const mask = r.maskIoU === null ? '' : `, mask ${iou(r.maskIoU)}`;
    return `${r.expect === 'refuse-ok' ? 'refused (ok)' : 'refused'}${mask}`;
  }
  if (r.outcome === 'error') return 'ERROR';
  const bad = (r.keptIoU ?? 0) < BAD_IOU ? ' ✗ bad, completed' : '';
  const catalog = r.catalog && !catalogPasses(r.catalog) ? ' (catalog check failed)' : '';
  return `${iou(r.keptIoU)}${bad}${catalog}`;
}

interface Baseline {
  readonly medianMs: number;
  readonly medianCpuMs: number;
}

/**
 * The floor any pipeline pays on the same photos: decode, fit onto a white 1600² canvas, JPEG q90 4:4:4,
 * sharp alone. Item times are also given as a ratio to it, which is what survives a loaded machine.
 */
async function measureBaseline(cases: readonly EvaluationCase[]): Promise<Baseline> {
  const fitOnWhite = (jpeg: Buffer) =>
    sharp(jpeg)
      .resize(1600, 1600, { fit: 'contain', background: '#ffffff', kernel: 'lanczos3' })
      .jpeg({ quality: 90, chromaSubsampling: '4:4:4' })
      .toBuffer();
  const full = cases.filter((c) => c.image.width === 1200);
  if (full[0]) await fitOnWhite(full[0].jpeg);
  const times: number[] = [];
  const cpus: number[] = [];
  for (const c of full) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    await fitOnWhite(c.jpeg);
    times.push(performance.now() - started);
    cpus.push(cpuMsSince(cpu));
  }
  return { medianMs: median(times), medianCpuMs: median(cpus) };
}

interface IdleFloor {
  readonly maxStallMs: number;
  readonly busyMsPerSecond: number;
}

/**
 * The same instruments over one idle second: on a shared machine a descheduled main thread shows as a stall,
 * and the timers themselves keep the loop slightly busy. Stalls near this floor are the machine's, not ours.
 */
async function measureIdleFloor(): Promise<IdleFloor> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const sampler = setInterval(() => process.memoryUsage.rss(), 10);
  loop.enable();
  const elu = performance.eventLoopUtilization();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const busyMsPerSecond = performance.eventLoopUtilization(elu).active;
  loop.disable();
  clearInterval(sampler);
  return { maxStallMs: loop.max / 1e6, busyMsPerSecond };
}

function markdown(
  runs: readonly ProviderRun[],
  cases: readonly EvaluationCase[],
  baseline: Baseline,
  idle: IdleFloor,
): string {
  const summaries = runs.map(summarise);
  const labels = runs.map((r) => r.label);
  const row = (name: string, cell: (s: Summary, run: ProviderRun) => string): string[] => [
    name,
    ...summaries.map((s, i) => cell(s, runs[i]!)),
  ];
  const out: string[] = [];
  out.push(
    `- Command: \`${['npx tsx bench/enhance-quality.ts', ...process.argv.slice(2)].join(' ')}\` — ${cases.length} ${args.holdout ? 'held-out ' : ''}studio composites, ` +
      `preset marketplace_clean_catalog (several products: clean_catalog_group), strict; Node ${process.version}, ` +
      `${availableParallelism()} CPUs, sharp concurrency ${sharp.concurrency()}, load average ${loadavg()[0]!.toFixed(1)} at the end`,
  );
  out.push(
    `- Baseline (sharp alone: decode, fit on a white 1600² canvas, JPEG) on the same 1200×900 photos: ` +
      `${ms(baseline.medianMs)} median, ${ms(baseline.medianCpuMs)} CPU`,
  );
  out.push(
    `- Idle floor of the instruments (one idle second, same timers): longest stall ${ms(idle.maxStallMs)}, ` +
      `main thread busy ${ms(idle.busyMsPerSecond)} per second`,
  );
  for (const run of runs) {
    out.push(
      `- \`${run.label}\`: ${run.description}; warm-up item ${ms(run.warmUpMs)}; ` +
        `other processes used ${percent(run.foreignLoad)} of the machine during its run`,
    );
  }
  out.push('');
  out.push(
    table(
      ['', ...labels],
      [
        row('cases', (s) => String(s.cases)),
        row('completed', (s) => String(s.completed)),
        row('refused (of which expected to complete)', (s) => `${s.refused} (${s.refusedExpectedComplete})`),
        row('errors (not a refusal)', (s) => String(s.errors)),
        row(
          `completed with IoU < ${BAD_IOU} (goal 0)`,
          (s) => `${s.badCompleted} — ${goal(s.badCompleted, (v) => v === 0)}`,
        ),
        row(
          `median IoU, cases expected to complete, refusal = 0 (goal ≥ ${GOAL_MEDIAN_IOU})`,
          (s) => `${iou(s.medianIoU)} — ${goal(s.medianIoU, (v) => v >= GOAL_MEDIAN_IOU)}`,
        ),
        row('median IoU of completed results', (s) => iou(s.medianIoUCompleted)),
        row(
          `catalog checks failed (255 frame, no alpha, fill 85 ± ${FILL_TOLERANCE * 100} %, centre ± ${CENTRE_TOLERANCE * 100} %)`,
          (s) => String(s.catalogFailures),
        ),
        row(
          'completed item time 1200×900 → 1600², median / max',
          (s) => `${seconds(s.medianItemMs)} / ${seconds(s.maxItemMs)}`,
        ),
        row('completed item time, median / sharp-only baseline', (s) =>
          Number.isFinite(s.medianItemMs) ? `${(s.medianItemMs / baseline.medianMs).toFixed(1)} ×` : 'n/a',
        ),
        row(
          `completed item CPU (all threads), median / max (goal ≤ ${GOAL_ITEM_MS / 1000} s)`,
          (s) =>
            `${seconds(s.medianItemCpuMs)} / ${seconds(s.maxItemCpuMs)} — ${goal(s.maxItemCpuMs, (v) => v <= GOAL_ITEM_MS)}`,
        ),
        row('main-thread busy per completed item, median', (s) => ms(s.medianMainThreadMs)),
        row('main-thread busy while segmenting, median', (s) => ms(s.medianSegmentMainThreadMs)),
        row('longest event-loop stall while segmenting', (s) => ms(s.maxSegmentLoopMs)),
        row('main-thread busy in selection + composing, median', (s) => ms(s.medianAfterSegmentMainThreadMs)),
        row('longest event-loop stall in selection + composing', (s) => ms(s.maxAfterSegmentLoopMs)),
        row(
          `longest event-loop stall, whole item (goal ≤ ${GOAL_LOOP_MS} ms)`,
          (s) => `${ms(s.maxItemLoopMs)} — ${goal(s.maxItemLoopMs, (v) => v <= GOAL_LOOP_MS)}`,
        ),
        row('peak RSS', (_s, run) => `${Math.round(run.peakRssMb)} MB`),
      ],
    ),
  );
  out.push('');
  out.push('IoU of the composed mask against the truth, per case:');
  out.push('');
  out.push(
    table(
      ['case', 'category', 'expect', ...labels],
      cases.map((c, i) => [c.name, c.category, c.expect, ...runs.map((run) => caseCell(run.cases[i]!))]),
    ),
  );
  for (const run of runs) {
    out.push('');
    out.push(`Details, \`${run.label}\`:`);
    out.push('');
    out.push(
      table(
        [
          'case',
          'mask IoU',
          'kept IoU',
          'item',
          'CPU',
          'segment',
          'loop max',
          'fill err',
          'centre err',
          'warnings / refusal',
        ],
        run.cases.map((r) => [
          r.name,
          iou(r.maskIoU),
          iou(r.keptIoU),
          ms(r.itemMs),
          ms(r.itemCpuMs),
          ms(r.segmentMs),
          ms(r.itemLoopMaxMs),
          r.catalog ? percent(r.catalog.fillError) : '—',
          r.catalog ? percent(r.catalog.centreError) : '—',
          r.outcome === 'completed' ? r.warnings.join(', ') : (r.message ?? '').replaceAll('|', '/'),
        ]),
      ),
    );
  }
  return out.join('\n');
}

const names =
  args.case ??
  (args.holdout ? HOLDOUT_COMPOSITE_NAMES : args.quick ? QUICK_COMPOSITE_NAMES : STUDIO_COMPOSITE_NAMES);
const selected = args.only
  ? QUALITY_PROVIDERS.filter((p) => args.only!.includes(p.label))
  : QUALITY_PROVIDERS;
if (selected.length === 0) throw new Error(`no provider labelled ${args.only!.join(', ')}`);
if (args.save) await mkdir(args.save, { recursive: true });
const cases: EvaluationCase[] = [];
for (const name of names) cases.push(await studioComposite(name));

const baseline = await measureBaseline(cases);
const idle = await measureIdleFloor();
const runs: ProviderRun[] = [];
for (const quality of selected) {
  if (!args.json) process.stderr.write(`${quality.label}: `);
  runs.push(await runProvider(quality, cases));
}
if (args.json) {
  console.log(
    JSON.stringify(
      { baseline, idle, runs: runs.map((run) => ({ ...run, summary: summarise(run) })) },
      null,
      2,
    ),
  );
} else {
  console.log(markdown(runs, cases, baseline, idle));
}
