import { MODEL_PROFILES, type ModelProfile } from './model-profiles.ts';

/** The default (ISNet) profile's input and output side. */
export const MODEL_SIDE = MODEL_PROFILES.isnet.input.width;

export interface OnnxWorkerData {
  readonly modelPath: string;
  readonly threads: number;
  /** Shapes and output choice; plain data, cloned into the worker. */
  readonly profile: ModelProfile;
}

/** Parent → worker: one image, float32 `[1, 3, height, width]` normalised as the profile says. */
export interface OnnxJob {
  readonly id: number;
  readonly pixels: Float32Array;
}

/** Worker → parent. `message` is safe for API users; `detail` is for logs. */
export type OnnxReply =
  | { readonly id: number; readonly ok: true; readonly mask: Float32Array; readonly sessionLoaded: boolean }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly detail: string };
