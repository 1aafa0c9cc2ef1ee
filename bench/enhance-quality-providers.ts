// The segmenters bench/enhance-quality.ts compares, one entry each, in column order. An entry builds a
// provider the same way create-enhancer.ts does (with the image work runner and the enhancement worker threads),
// so the benchmark measures what the server would run.
import { classicalProvider } from '../src/imaging/enhance/classical-provider.ts';
import type { EnhanceWorkers } from '../src/imaging/enhance/enhance-workers.ts';
import { segmentClassically } from '../src/imaging/enhance/flood-fill-segmentation.ts';
import type { ImageWorkRunner, SegmentationProvider } from '../src/imaging/enhance/segmentation-provider.ts';

export interface QualityProvider {
  /** Column name in the report ("old", "new"); also what `--only` selects. */
  readonly label: string;
  /** One line for the report: what this segmenter is. */
  readonly description: string;
  create(runImageWork: ImageWorkRunner, workers: EnhanceWorkers): SegmentationProvider;
}

export const QUALITY_PROVIDERS: readonly QualityProvider[] = [
  {
    label: 'old',
    description: 'classical flood fill from a uniform border (classical-provider.ts before issue 14)',
    create: (runImageWork) => ({
      name: 'classical',
      segment: (image) => runImageWork(() => segmentClassically(image)),
    }),
  },
  {
    label: 'new',
    description:
      'classical studio segmenter in worker threads: flood fill fast path, else backdrop model + GrabCut + guided filter, confidence refusals (classical-provider.ts)',
    create: (runImageWork, workers) => classicalProvider({ timeoutMs: 60_000, workers }, runImageWork),
  },
];
