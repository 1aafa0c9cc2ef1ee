// The only file that imports sharp: every global libvips setting is made here, once, at import.
import { availableParallelism } from 'node:os';
import sharp from 'sharp';

// Renditions are cached in the blob store, and originals are read once per rendition: libvips' operation
// cache would only hold decoded images and open files for nothing.
sharp.cache(false);

// Parallelism comes from the image work queue (one pipeline per core). libvips' own per-pipeline thread
// pool on top of that would multiply threads (cores × cores) and make the queue bound meaningless.
sharp.concurrency(1);

/** Threads libvips uses inside one pipeline. Only for operators who run a queue narrower than the cores. */
export function setThreadsPerPipeline(threads: number): void {
  sharp.concurrency(Math.max(1, Math.min(availableParallelism(), Math.floor(threads))));
}

export type { FitEnum, Metadata, OutputInfo, Sharp, SharpOptions } from 'sharp';
export { sharp };
