import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MODEL_PROFILES } from '../imaging/enhance/model-profiles.ts';
import { chooseSegmentationModel, ModelSettingError, modelInventory } from './model-files.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-model-files-'));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

async function install(...names: (keyof typeof MODEL_PROFILES)[]): Promise<void> {
  await mkdir(path.join(dataDir, 'models'), { recursive: true });
  for (const name of names) await writeFile(path.join(dataDir, 'models', MODEL_PROFILES[name].file), 'x');
}

const choose = (model?: string, profile?: string) => chooseSegmentationModel({ model, profile }, dataDir);

describe('chooseSegmentationModel', () => {
  it('nothing set: the first installed profile in registry order, or none', async () => {
    expect(await choose()).toEqual({ kind: 'none' });
    await install('birefnet', 'u2net');
    expect(await choose()).toMatchObject({
      kind: 'model',
      profile: MODEL_PROFILES.u2net,
      path: path.join(dataDir, 'models', 'u2net.onnx'),
      how: 'installed',
      present: true,
    });
  });

  it('a profile name: its file under <data>/models/, present or not', async () => {
    expect(await choose('birefnet')).toMatchObject({
      profile: MODEL_PROFILES.birefnet,
      path: path.join(dataDir, 'models', MODEL_PROFILES.birefnet.file),
      how: 'named',
      present: false,
    });
    await install('birefnet');
    expect(await choose('birefnet')).toMatchObject({ present: true });
  });

  it('a path: the profile given, else the one its file name says, else ISNet', async () => {
    const file = path.join(dataDir, 'u2net.onnx');
    await writeFile(file, 'x');
    expect(await choose(file)).toMatchObject({
      profile: MODEL_PROFILES.u2net,
      path: file,
      how: 'path',
      present: true,
    });
    expect(await choose(file, 'inspyrenet')).toMatchObject({ profile: MODEL_PROFILES.inspyrenet });
    expect(await choose('./models/custom.onnx')).toMatchObject({
      profile: MODEL_PROFILES.isnet,
      path: path.resolve('./models/custom.onnx'),
      present: false,
    });
  });

  it('refuses names that are no profile and a profile setting without a path', async () => {
    await expect(choose('rmbg')).rejects.toThrow(ModelSettingError);
    await expect(choose('rmbg')).rejects.toThrow(
      'LIGHTBOX_SEGMENTATION_MODEL="rmbg": not a model profile (isnet, u2net, birefnet, inspyrenet) nor a path to an .onnx file',
    );
    await expect(choose('/srv/m.onnx', 'sam')).rejects.toThrow('LIGHTBOX_SEGMENTATION_PROFILE="sam"');
    await expect(choose(undefined, 'u2net')).rejects.toThrow('only used with a path');
    await expect(choose('isnet', 'u2net')).rejects.toThrow('contradicts');
    expect(await choose('isnet', 'isnet')).toMatchObject({ profile: MODEL_PROFILES.isnet });
  });
});

describe('modelInventory', () => {
  it('lists every profile with its size on disk (null when not installed)', async () => {
    await install('isnet');
    const inventory = await modelInventory(dataDir);
    expect(inventory.map((m) => [m.profile.name, m.bytes])).toEqual([
      ['isnet', 1],
      ['u2net', null],
      ['birefnet', null],
      ['inspyrenet', null],
    ]);
  });
});
