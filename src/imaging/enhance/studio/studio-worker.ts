// Runs in a worker thread of the studio pool: the classical segmenter is 0.3–1 s of pixel loops and
// OpenCV calls, which on the main thread would stall every request.
import { ProviderError } from '../provider-error.ts';
import type { EnhanceWarning } from '../warnings.ts';
import { loadOpenCv } from './opencv.ts';
import { segmentStudioPhoto } from './segment-studio-photo.ts';

export interface StudioTask {
  readonly width: number;
  readonly height: number;
  /** RGB, 3 bytes per pixel. */
  readonly data: Uint8Array;
}

/** A refusal travels as data: an error thrown across the thread boundary loses its class. */
export type StudioReply =
  | {
      readonly ok: true;
      readonly mask: Uint8Array;
      readonly warnings: EnhanceWarning[];
      readonly path: string;
    }
  | { readonly ok: false; readonly message: string };

export async function segmentStudioTask(task: StudioTask): Promise<StudioReply> {
  const cv = await loadOpenCv();
  const image = {
    width: task.width,
    height: task.height,
    data: Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength),
  };
  try {
    const result = await segmentStudioPhoto(cv, image);
    return { ok: true, mask: result.mask, warnings: result.warnings, path: result.path };
  } catch (error) {
    if (error instanceof ProviderError) return { ok: false, message: error.message };
    throw error;
  }
}
