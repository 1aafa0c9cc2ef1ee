// Entry point of each enhancement worker thread (piscina loads it and calls the task named in `run`). The
// worker is TypeScript: hooks registered on the main thread do not reach worker threads, so tsx is registered
// here (as for the ONNX workers, see README.md).
import { register } from 'tsx/esm/api';

register();
const worker = await import('./enhance-worker.ts');

export const segmentStudioTask = worker.segmentStudioTask;
export const selectForegroundTask = worker.selectForegroundTask;
export const composeCatalogTask = worker.composeCatalogTask;
