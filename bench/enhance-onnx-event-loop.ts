// Issue 14: what an item through the `onnx` provider costs the event loop. The model's input and output planes are
// normalised and activated on the main thread in slices (pixel-slices.ts); selection and composing run in the
// enhancement worker threads as for every provider. The model is the tiny generated fixture of each profile
// (src/imaging/enhance/fixtures: the profile's real input and output sizes, a few weights), so the inference is
// short and the figures are the pipeline's around it. Items that the tiny model's mask does not carry fall back to
// classical (the provider column says which).
//
// Run: npx tsx bench/enhance-onnx-event-loop.ts [--items 5]
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createEnhancer } from '../src/imaging/enhance/create-enhancer.ts';
import { MODEL_PROFILE_NAMES } from '../src/imaging/enhance/model-profiles.ts';
import { studioComposite } from '../src/imaging/enhance/testing/studio-composites.ts';
import { median, table } from './lib/stats.ts';

const { values: args } = parseArgs({ options: { items: { type: 'string', default: '5' } } });
const items = Number(args.items);

interface Watched {
  readonly provider: string;
  readonly stallMs: number;
  readonly busyMs: number;
}

async function watch(run: () => Promise<string>): Promise<Watched> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const elu = performance.eventLoopUtilization();
  const provider = await run();
  loop.disable();
  return { provider, stallMs: loop.max / 1e6, busyMs: performance.eventLoopUtilization(elu).active };
}

const photo = await studioComposite('apple-shadow');
const idle = await watch(async () => {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return '';
});
const rows: string[][] = [];
for (const profile of MODEL_PROFILE_NAMES) {
  const enhancer = createEnhancer({
    providers: ['onnx', 'classical'],
    modelPath: new URL(`../src/imaging/enhance/fixtures/tiny-${profile}.onnx`, import.meta.url).pathname,
    modelProfile: profile,
    timeoutMs: 60_000,
    onnxConcurrency: 1,
    onnxThreads: 1,
  });
  const item = () =>
    watch(() =>
      enhancer
        .enhance({ input: photo.jpeg, preset: 'marketplace_clean_catalog', preservationLevel: 'strict' })
        .then(
          (r) => r.provider,
          () => 'refused',
        ),
    );
  const warmUp = await item(); // loads the session and starts the workers
  const watched: Watched[] = [];
  for (let i = 0; i < items; i++) watched.push(await item());
  await enhancer.close();
  rows.push([
    profile,
    [...new Set(watched.map((w) => w.provider))].join(', '),
    `${Math.round(median(watched.map((w) => w.busyMs)))} ms`,
    `${Math.round(Math.max(...watched.map((w) => w.stallMs)))} ms`,
    `${Math.round(warmUp.stallMs)} ms`,
  ]);
}
console.log(
  `- Command: \`npx tsx bench/enhance-onnx-event-loop.ts --items ${items}\` — apple-shadow (1200×900) → 1600², ` +
    `${items} items per profile after a warm-up item; idle floor (one idle second): longest stall ${Math.round(idle.stallMs)} ms\n`,
);
console.log(
  table(
    ['profile', 'provider used', 'main-thread busy per item, median', 'longest stall', 'warm-up item stall'],
    rows,
  ),
);
