// Runs in a worker thread of the enhancement pool (enhance-workers.ts): every per-item pixel loop after decoding
// — the classical segmenter, object selection and composing — is tens to hundreds of milliseconds of JavaScript
// that on the main thread would stall every request. Pixels arrive as plain Uint8Arrays (a structured clone
// drops Buffer's prototype); replies are plain data for the same reason.
import { type ComposeRequest, composeCatalogImage } from './compose-catalog-image.ts';
import { type ForegroundSelection, selectForeground } from './foreground-selection.ts';
import type { AlphaMask } from './pixel-buffers.ts';
import type { PresetSpec } from './presets.ts';
import type { EnhanceWarning } from './warnings.ts';

export { segmentStudioTask } from './studio/studio-worker.ts';

export interface SelectTask {
  readonly mask: AlphaMask;
  readonly keep: PresetSpec['keep'];
}

export function selectForegroundTask(task: SelectTask): ForegroundSelection | null {
  return selectForeground(task.mask, task.keep);
}

/** A compose request whose image data is any byte array (it crossed a thread boundary). */
export interface ComposeTask extends Omit<ComposeRequest, 'image'> {
  readonly image: { readonly width: number; readonly height: number; readonly data: Uint8Array };
}

export interface ComposeReply {
  readonly image: Uint8Array;
  readonly thumbnail: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly warnings: EnhanceWarning[];
}

export function composeCatalogTask(task: ComposeTask): Promise<ComposeReply> {
  const { data } = task.image;
  return composeCatalogImage({
    ...task,
    image: { ...task.image, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) },
  });
}
