// Entry point of each studio worker thread (piscina loads it and calls `segmentStudioTask`). The worker is
// TypeScript: hooks registered on the main thread do not reach worker threads, so tsx is registered here
// (as for the ONNX workers, see ../README.md).
import { register } from 'tsx/esm/api';

register();
const worker = await import('./studio-worker.ts');

export const segmentStudioTask = worker.segmentStudioTask;
