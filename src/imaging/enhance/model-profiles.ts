// How an ONNX segmentation model is fed and read, and where an operator can get one. The onnx provider (resizing,
// normalisation, reading the output), its worker (tensor names and shapes, the output check) and `lightbox models`
// take everything from a profile, so another model family is one entry here. Profiles are plain data: they travel
// to the worker threads. docs/models.md has the table and where every number below comes from.

export interface ModelDownload {
  /** HTTPS; redirects are followed (through the safe fetcher) to the host that serves the bytes. */
  readonly url: string;
  /** Exact size in bytes: a download is refused as soon as it passes it. */
  readonly bytes: number;
  /** Lowercase hex SHA-256 of the whole file, checked before the file is moved into place. */
  readonly sha256: string;
  /** Where the size and checksum were found (docs/models.md says more). */
  readonly source: string;
}

export interface ModelProfile {
  /** Registry key: `LIGHTBOX_SEGMENTATION_MODEL=<name>`, `lightbox models pull <name>`. */
  readonly name: string;
  /** Used in messages: "the segmentation model is not <label>-compatible". */
  readonly label: string;
  /**
   * Of the architecture and its reference weights, for the operator's information. The project ships no
   * weights: the operator checks the terms of the file they deploy.
   */
  readonly licence: string;
  /** Its file name under `<data>/models/`. */
  readonly file: string;
  readonly input: {
    /** The input fed when the model has it, else its first input. */
    readonly name: string;
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
  /** A public file with a pinned size and SHA-256; absent when none could be established (docs/models.md). */
  readonly download?: ModelDownload;
}

/** ImageNet statistics on 0..255 (`(v / 255 − 0.485) / 0.229`, …), what most saliency models are trained with. */
const IMAGENET = {
  mean: [123.675, 116.28, 103.53],
  std: [58.395, 57.12, 57.375],
} as const;

/** rembg's model release: public HTTPS downloads of ONNX exports (rembg is MIT; each model keeps its licence). */
const REMBG_RELEASE = 'https://github.com/danielgatis/rembg/releases/download/v0.0.0';

/** Registry order is the order of preference when several models are installed and none is named. */
export const MODEL_PROFILES = {
  /**
   * DIS / IS-Net general use, rembg's export: input `input_image` 1024², `(v / 255 − 0.5) / 1.0` as in
   * IS-Net/Inference.py, output `output_image` already in 0..1 (sigmoid inside).
   */
  isnet: {
    name: 'isnet',
    label: 'ISNet',
    licence:
      'IS-Net (DIS, github.com/xuebinqin/DIS): code Apache-2.0; no separate licence is stated for the weights, which were trained on DIS5K (non-commercial terms of use). Export by rembg (MIT).',
    file: 'isnet-general-use.onnx',
    input: {
      name: 'input_image',
      width: 1024,
      height: 1024,
      layout: 'NCHW',
      channelOrder: 'RGB',
      mean: [127.5, 127.5, 127.5],
      std: [255, 255, 255],
    },
    output: { width: 1024, height: 1024, preferredName: 'output_image', activation: 'none' },
    download: {
      url: `${REMBG_RELEASE}/isnet-general-use.onnx`,
      bytes: 178_648_008,
      sha256: '60920e99c45464f2ba57bee2ad08c919a52bbf852739e96947fbb4358c0d964a',
      source:
        'rembg pins this asset by MD5 (fc16ebd8b0c10d971d3513d564d01e29, rembg/sessions/dis_general_use.py); size and SHA-256 as recorded by independent public projects that pin the same asset',
    },
  },
  /**
   * U²-Net general, rembg's export: input `input.1` 320², ImageNet mean/std, output `1959` (the fused map,
   * sigmoid inside, listed first); U-2-Net's own test script and rembg stretch it min-max, and so do we.
   */
  u2net: {
    name: 'u2net',
    label: 'U²-Net',
    licence:
      'U²-Net (github.com/xuebinqin/U-2-Net): code Apache-2.0; no separate licence is stated for the weights. Export by rembg (MIT).',
    file: 'u2net.onnx',
    input: {
      name: 'input.1',
      width: 320,
      height: 320,
      layout: 'NCHW',
      channelOrder: 'RGB',
      ...IMAGENET,
    },
    output: { width: 320, height: 320, preferredName: '1959', activation: 'min-max' },
    download: {
      url: `${REMBG_RELEASE}/u2net.onnx`,
      bytes: 175_997_641,
      sha256: '8d10d2f3bb75ae3b6d527c77944fc5e7dcd94b29809d47a739a7a728a912b491',
      source:
        'rembg pins this asset by MD5 (60024c5c889badc19c04ad937298a77b, rembg/sessions/u2net.py); size and SHA-256 as recorded by independent public projects that pin the same asset',
    },
  },
  /**
   * BiRefNet general (epoch 244), the authors' export: input `input_image` 1024², ImageNet mean/std, output
   * `output_image` as logits (the authors' notebook and rembg apply a sigmoid). ≈ 4 GB RAM per session on CPU.
   */
  birefnet: {
    name: 'birefnet',
    label: 'BiRefNet',
    licence: 'BiRefNet (github.com/ZhengPeng7/BiRefNet): MIT, code and weights.',
    file: 'BiRefNet-general-epoch_244.onnx',
    input: {
      name: 'input_image',
      width: 1024,
      height: 1024,
      layout: 'NCHW',
      channelOrder: 'RGB',
      ...IMAGENET,
    },
    output: { width: 1024, height: 1024, preferredName: 'output_image', activation: 'sigmoid' },
    download: {
      url: 'https://github.com/ZhengPeng7/BiRefNet/releases/download/v1/BiRefNet-general-epoch_244.onnx',
      bytes: 972_666_916,
      sha256: '58f621f00f5d756097615970a88a791584600dcf7c45b18a0a6267535a1ebd3c',
      source:
        'SHA-256 pinned for this URL by rembg (rembg/sessions/birefnet_general.py, commit ea7290cfa9aac05b0ff612ef060b5a873b58e800); size as recorded by independent public projects that pin the same file',
    },
  },
  /**
   * InSPyReNet (SwinB, 1024²), as transparent-background runs it: ImageNet mean/std, output already in 0..1.
   * The authors publish PyTorch checkpoints only; an ONNX export is the operator's (input and output names are
   * the exporter's: the first input and output are used when `input`/`output` are absent).
   */
  inspyrenet: {
    name: 'inspyrenet',
    label: 'InSPyReNet',
    licence: 'InSPyReNet (github.com/plemeri/InSPyReNet): MIT, code and weights.',
    file: 'inspyrenet.onnx',
    input: {
      name: 'input',
      width: 1024,
      height: 1024,
      layout: 'NCHW',
      channelOrder: 'RGB',
      ...IMAGENET,
    },
    output: { width: 1024, height: 1024, preferredName: 'output', activation: 'none' },
  },
} as const satisfies Readonly<Record<string, ModelProfile>>;

export type ModelProfileName = keyof typeof MODEL_PROFILES;
export const MODEL_PROFILE_NAMES = Object.keys(MODEL_PROFILES) as readonly ModelProfileName[];
const DEFAULT_MODEL_PROFILE: ModelProfileName = 'isnet';

export function isModelProfileName(name: string): name is ModelProfileName {
  return Object.hasOwn(MODEL_PROFILES, name);
}

/** The profile of that name; `TypeError` for a name the registry does not hold (a config bug). */
export function modelProfile(name: string = DEFAULT_MODEL_PROFILE): ModelProfile {
  if (!isModelProfileName(name)) throw new TypeError(`unknown model profile: ${name}`);
  return MODEL_PROFILES[name];
}
