import sharp from 'sharp';

// Renditions are cached in the blob store, and originals are read once per rendition: libvips' operation
// cache would only hold decoded images and open files for nothing.
sharp.cache(false);

// Parallelism comes from the image work queue (one pipeline per core). libvips' own per-pipeline thread
// pool on top of that would multiply threads (cores × cores) and make the queue bound meaningless.
sharp.concurrency(1);

export type { Metadata, Sharp, SharpOptions } from 'sharp';
export { sharp };
