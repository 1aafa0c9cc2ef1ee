/** ISNet's fixed input and output side. */
export const MODEL_SIDE = 1024;

export interface OnnxWorkerData {
  readonly modelPath: string;
  readonly threads: number;
}

/** Parent → worker: one image, CHW float32 [1, 3, 1024, 1024], values (v − 128) / 256. */
export interface OnnxJob {
  readonly id: number;
  readonly pixels: Float32Array;
}

/** Worker → parent. `message` is safe for API users; `detail` is for logs. */
export type OnnxReply =
  | { readonly id: number; readonly ok: true; readonly mask: Float32Array; readonly sessionLoaded: boolean }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly detail: string };
