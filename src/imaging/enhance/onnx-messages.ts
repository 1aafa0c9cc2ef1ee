import type { ModelProfile } from './model-profiles.ts';

export interface OnnxWorkerData {
  readonly modelPath: string;
  readonly threads: number;
  /** Names, shapes and output choice; plain data, cloned into the worker. */
  readonly profile: ModelProfile;
}

/**
 * Parent → worker: one image, float32 `[1, 3, height, width]` normalised as the profile says; or `null` to only
 * load the session (the warm-up a worker process does at start, which also tells whether the model can serve).
 */
export interface OnnxJob {
  readonly id: number;
  readonly pixels: Float32Array | null;
}

/** Worker → parent. `message` is safe for API users; `detail` is for logs. A load-only job answers an empty mask. */
export type OnnxReply =
  | { readonly id: number; readonly ok: true; readonly mask: Float32Array; readonly sessionLoaded: boolean }
  | {
      readonly id: number;
      readonly ok: false;
      readonly message: string;
      readonly detail: string;
      /** `load`: the model cannot serve at all (runtime missing, file unreadable, wrong profile). */
      readonly stage: 'load' | 'run';
    };
