// Entry point of each ONNX worker thread. The worker itself is TypeScript and loads through tsx, like the
// rest of the code base (bin/lightbox.js, Vitest). Hooks registered on the main thread do not reach
// worker threads, and Node 20 ignores `--import` in a worker's execArgv: so the worker registers tsx here.
import { register } from 'tsx/esm/api';

register();
await import('./onnx-worker.ts');
