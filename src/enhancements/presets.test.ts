import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { PRESERVATION_LEVEL_IDS, PRESET_IDS } from '../imaging/enhance/presets.ts';
import { PRESET_LIST, PreservationLevelSchema, PresetSchema } from './presets.ts';

const apiDoc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

/** The part of docs/api.md between two headings. */
function section(from: string, to: string): string {
  const start = apiDoc.indexOf(from);
  const end = apiDoc.indexOf(to, start);
  expect(start).toBeGreaterThanOrEqual(0);
  return apiDoc.slice(start, end);
}

describe('the preset registry is the one list', () => {
  it('lists every preset, in registry order, on the presets endpoint', () => {
    expect(PRESET_LIST.map((p) => p.id)).toEqual(PRESET_IDS);
    for (const preset of PRESET_LIST) expect(preset.name.length).toBeGreaterThan(0);
  });

  it('accepts exactly the registry ids in a create request', () => {
    for (const id of PRESET_IDS) expect(Value.Check(PresetSchema, id)).toBe(true);
    for (const id of PRESERVATION_LEVEL_IDS) expect(Value.Check(PreservationLevelSchema, id)).toBe(true);
    for (const bad of ['toString', '', 'STRICT', 'single_product']) {
      expect(Value.Check(PresetSchema, bad)).toBe(false);
      expect(Value.Check(PreservationLevelSchema, bad)).toBe(false);
    }
  });

  it('is the table of docs/api.md §3.1, row for row', () => {
    const rows = [...section('### 3.1', '### 3.2').matchAll(/^\| `([a-z_]+)`/gm)].map((m) => m[1]);
    expect(rows).toEqual(PRESET_IDS);
  });

  it('is the preservation levels of docs/api.md §3.2', () => {
    const row = section('### 3.2', '### 3.3')
      .split('\n')
      .find((line) => line.startsWith('| `preservation_level`'));
    expect(row && [...(row.split('|')[2] ?? '').matchAll(/`([a-z]+)`/g)].map((m) => m[1])).toEqual(
      PRESERVATION_LEVEL_IDS,
    );
  });
});
