import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The static files of the web pages (`assets/`: CSS, small ES modules, icons, and a few files of npm packages),
 * served as they are — no build step. Their URLs carry a version derived from the content of all of them (`/assets/<version>/<file>`), so a
 * browser may cache them for a year (`immutable`) and a deploy that changes any file changes every URL. One
 * version for the folder (not one per file) keeps relative `import './x.js'` between modules working.
 */
export const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

const FILE = /^[a-z0-9-]+\.(css|js|svg)$/;

/**
 * Files of npm packages served as assets of ours, under our names: used as shipped (no build step), versioned and
 * cached like the rest. uPlot (MIT) draws the usage charts.
 */
const require = createRequire(import.meta.url);
const VENDORED: Readonly<Record<string, string>> = {
  'uplot.js': require.resolve('uplot/dist/uPlot.esm.js'),
  'uplot.css': require.resolve('uplot/dist/uPlot.min.css'),
};

/** Every asset's file on disk, by its name. */
const files = new Map<string, string>([
  ...readdirSync(ASSETS_DIR)
    .filter((name) => FILE.test(name))
    .map((name) => [name, path.join(ASSETS_DIR, name)] as const),
  ...Object.entries(VENDORED),
]);

const fileHashes = new Map(
  [...files.keys()]
    .sort()
    .map((name) => [name, sha256(readFileSync(files.get(name) as string)).slice(0, 20)] as const),
);

const ASSETS_VERSION = sha256([...fileHashes].map(([name, hash]) => `${name}:${hash}`).join('\n')).slice(
  0,
  12,
);

/** The URL path of an asset. An unknown name is a programming error, caught by any test that renders the page. */
export function assetUrl(name: string): string {
  if (!fileHashes.has(name)) throw new Error(`unknown asset ${name}`);
  return `/assets/${ASSETS_VERSION}/${name}`;
}

/** The strong ETag of an asset of this version, or undefined when the version or the name is not ours. */
export function assetEtag(version: string, name: string): string | undefined {
  const hash = version === ASSETS_VERSION ? fileHashes.get(name) : undefined;
  return hash ? `"${hash}"` : undefined;
}

/** The file on disk behind an asset name, or undefined for a name that is not an asset. */
export const assetFile = (name: string): string | undefined => files.get(name);
