// How an ONNX segmentation model is fed and read. The onnx provider (resizing, normalisation, reading the
// output) and its worker (tensor shape, output choice, output check) take everything from a profile, so
// another model family is one entry here. Profiles are plain data: they travel to the worker threads.

export interface ModelProfile {
  /** Registry key, what `createEnhancer({ modelProfile })` takes. */
  readonly name: string;
  /** Used in messages: "the segmentation model is not <label>-compatible". */
  readonly label: string;
  /**
   * Of the architecture and its reference weights, for the operator's information. The project ships
   * no weights: the operator checks the terms of the file they deploy.
   */
  readonly licence: string;
  readonly input: {
    /** The image is squeezed to this size (aspect ignored), cubic. */
    readonly width: number;
    readonly height: number;
    /** Tensor `[1, 3, height, width]`, one plane per channel. The only layout supported. */
    readonly layout: 'NCHW';
    /** Order of the planes. */
    readonly channelOrder: 'RGB' | 'BGR';
    /** Per plane (in `channelOrder`), on 0..255 values: `(v − mean) / std`. */
    readonly mean: readonly [number, number, number];
    readonly std: readonly [number, number, number];
  };
  readonly output: {
    /** The single-channel mask the model must produce (any leading dimensions of size 1). */
    readonly width: number;
    readonly height: number;
    /** Fetched when the model has it (side outputs then cost nothing), else the first output. */
    readonly preferredName: string;
    /**
     * Before the mask is clamped to 0..1: `none` (already probabilities), `sigmoid` (logits), or
     * `min-max` (stretch this output's range to 0..1; a constant output becomes 0).
     */
    readonly activation: 'none' | 'sigmoid' | 'min-max';
  };
}

export const MODEL_PROFILES = {
  /** DIS / IS-Net (e.g. isnet-general-use): 1024², (v − 128) / 256, output already in 0..1. */
  isnet: {
    name: 'isnet',
    label: 'ISNet',
    licence: 'Apache-2.0 (IS-Net / DIS, github.com/xuebinqin/DIS)',
    input: {
      width: 1024,
      height: 1024,
      layout: 'NCHW',
      channelOrder: 'RGB',
      mean: [128, 128, 128],
      std: [256, 256, 256],
    },
    output: { width: 1024, height: 1024, preferredName: 'output', activation: 'none' },
  },
} as const satisfies Readonly<Record<string, ModelProfile>>;

export type ModelProfileName = keyof typeof MODEL_PROFILES;
const DEFAULT_MODEL_PROFILE: ModelProfileName = 'isnet';

/** The profile of that name; `TypeError` for a name the registry does not hold (a config bug). */
export function modelProfile(name: string = DEFAULT_MODEL_PROFILE): ModelProfile {
  if (!Object.hasOwn(MODEL_PROFILES, name)) throw new TypeError(`unknown model profile: ${name}`);
  return MODEL_PROFILES[name as ModelProfileName];
}
