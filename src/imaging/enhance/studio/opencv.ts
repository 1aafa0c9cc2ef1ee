import { createRequire } from 'node:module';
import type * as OpenCvModule from '@techstark/opencv-js';

export type OpenCv = typeof OpenCvModule;

let loading: Promise<OpenCv> | null = null;

/**
 * OpenCV compiled to WebAssembly (`@techstark/opencv-js`), loaded once per thread (≈ 0.3 s, ≈ 100–270 MB).
 * The UMD bundle's runtime starts asynchronously and is ready when `Mat` exists. The module also has a
 * `then` that hands back the module itself, so a promise resolved with it would adopt it forever: that
 * `then` is removed once the runtime is ready.
 */
export function loadOpenCv(): Promise<OpenCv> {
  loading ??= new Promise((resolve) => {
    const cv = createRequire(import.meta.url)('@techstark/opencv-js') as OpenCv & { then?: unknown };
    const poll = setInterval(() => {
      if (typeof cv.Mat !== 'function') return;
      clearInterval(poll);
      delete cv.then;
      resolve(cv);
    }, 10);
  });
  return loading;
}
