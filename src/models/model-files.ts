import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  isModelProfileName,
  MODEL_PROFILE_NAMES,
  MODEL_PROFILES,
  type ModelProfile,
} from '../imaging/enhance/model-profiles.ts';

/** Where `lightbox models pull` installs models and where a profile name points: `<data>/models/`. */
export const modelsDir = (dataDir: string): string => path.join(dataDir, 'models');

/** A profile's file under `<data>/models/`. */
export const installedPath = (dataDir: string, profile: ModelProfile): string =>
  path.join(modelsDir(dataDir), profile.file);

export interface ModelFileState {
  readonly profile: ModelProfile;
  readonly path: string;
  /** Size on disk; null when the file is not there. */
  readonly bytes: number | null;
}

/** Every profile with its file under `<data>/models/`, installed or not, in registry order. */
export async function modelInventory(dataDir: string): Promise<ModelFileState[]> {
  return Promise.all(
    MODEL_PROFILE_NAMES.map(async (name) => {
      const profile: ModelProfile = MODEL_PROFILES[name];
      const file = installedPath(dataDir, profile);
      return { profile, path: file, bytes: await fileSize(file) };
    }),
  );
}

/** The segmentation model the server uses, and how it was chosen. */
export type ModelChoice =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'model';
      readonly profile: ModelProfile;
      readonly path: string;
      /** `named`: a profile name; `path`: a file path; `installed`: found in `<data>/models/` (nothing set). */
      readonly how: 'named' | 'path' | 'installed';
      /** Whether the file is there now (an explicitly chosen one may be missing: the onnx provider then fails). */
      readonly present: boolean;
    };

/** A value of LIGHTBOX_SEGMENTATION_MODEL / _PROFILE that names nothing usable; the message says what would. */
export class ModelSettingError extends Error {
  override readonly name = 'ModelSettingError';
}

const PROFILE_LIST = MODEL_PROFILE_NAMES.join(', ');

/**
 * LIGHTBOX_SEGMENTATION_MODEL and LIGHTBOX_SEGMENTATION_PROFILE → a file and a profile:
 * - a profile name (`birefnet`) → `<data>/models/<its file>` with that profile;
 * - a path (anything with `/` or `.`) → that file, with LIGHTBOX_SEGMENTATION_PROFILE, else the profile whose file
 *   name it has (`…/u2net.onnx` → u2net), else ISNet;
 * - unset → the first profile (registry order) installed under `<data>/models/`, or none.
 * Throws `ModelSettingError` for a name that is no profile, and for a profile setting without a path.
 */
export async function chooseSegmentationModel(
  settings: { readonly model: string | undefined; readonly profile: string | undefined },
  dataDir: string,
): Promise<ModelChoice> {
  const { model, profile } = settings;
  if (profile !== undefined && !isModelProfileName(profile)) {
    throw new ModelSettingError(
      `LIGHTBOX_SEGMENTATION_PROFILE=${JSON.stringify(profile)}: not a model profile (${PROFILE_LIST})`,
    );
  }
  if (model === undefined) {
    if (profile !== undefined) {
      throw new ModelSettingError(
        'LIGHTBOX_SEGMENTATION_PROFILE: only used with a path in LIGHTBOX_SEGMENTATION_MODEL (a profile name brings its own)',
      );
    }
    const installed = (await modelInventory(dataDir)).find((m) => m.bytes !== null);
    return installed
      ? { kind: 'model', profile: installed.profile, path: installed.path, how: 'installed', present: true }
      : { kind: 'none' };
  }
  if (!/[/.\\]/.test(model)) {
    if (!isModelProfileName(model)) {
      throw new ModelSettingError(
        `LIGHTBOX_SEGMENTATION_MODEL=${JSON.stringify(model)}: not a model profile (${PROFILE_LIST}) nor a path to an .onnx file`,
      );
    }
    if (profile !== undefined && profile !== model) {
      throw new ModelSettingError(
        `LIGHTBOX_SEGMENTATION_PROFILE=${profile}: contradicts LIGHTBOX_SEGMENTATION_MODEL=${model}, a profile name`,
      );
    }
    const chosen: ModelProfile = MODEL_PROFILES[model];
    const file = installedPath(dataDir, chosen);
    return {
      kind: 'model',
      profile: chosen,
      path: file,
      how: 'named',
      present: (await fileSize(file)) !== null,
    };
  }
  const file = path.resolve(model);
  const byName = MODEL_PROFILE_NAMES.find((name) => MODEL_PROFILES[name].file === path.basename(file));
  const chosen: ModelProfile = MODEL_PROFILES[profile ?? byName ?? 'isnet'];
  return {
    kind: 'model',
    profile: chosen,
    path: file,
    how: 'path',
    present: (await fileSize(file)) !== null,
  };
}

async function fileSize(file: string): Promise<number | null> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : null;
  } catch {
    return null;
  }
}
