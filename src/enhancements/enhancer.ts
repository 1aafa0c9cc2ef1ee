import type { PresetId } from './presets.ts';

/** What the item worker needs of the image pipeline (implemented in `imaging/enhance`). */
export interface EnhanceRequest {
  input: Buffer;
  preset: PresetId;
  preservationLevel: 'strict' | 'balanced' | 'creative';
  signal?: AbortSignal;
}

export interface EnhanceResult {
  image: Buffer;
  thumbnail: Buffer;
  width: number;
  height: number;
  provider: string;
  warnings: string[];
}

export interface Enhancer {
  enhance(request: EnhanceRequest): Promise<EnhanceResult>;
  close(): Promise<void>;
}
