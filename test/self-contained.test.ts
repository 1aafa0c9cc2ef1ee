import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A fresh clone must pass its own tests: nothing may read or link outside the repository, `npm ci` must install
// every dependency the tests and `tsc` need, and `lightbox admin` must stay a thin HTTP client.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SKIP_DIRS = new Set(['node_modules', '.git', 'data', 'coverage', '.scratch']);
const TEXT_FILE = /\.(ts|mts|js|mjs|cjs|json|md|py|sh|yml|yaml)$|^\.npmrc$|^run$/;

function repoFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return SKIP_DIRS.has(entry.name) ? [] : repoFiles(full);
    return TEXT_FILE.test(entry.name) && entry.name !== 'package-lock.json' ? [full] : [];
  });
}

const inside = (file: string) => {
  const relative = path.relative(ROOT, file);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
};
const show = (file: string) => path.relative(ROOT, file);

describe('a fresh clone is self-contained', () => {
  const files = repoFiles();

  it('finds the repository files (guards the walk)', () => {
    expect(files.map(show)).toEqual(
      expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'src/errors/catalog.test.ts', '.ci/run']),
    );
  });

  it('no file names the planning folder beside the repository', () => {
    // Joined at run time so this file does not name them itself.
    const names = [
      ['..', 'shared'],
      ['', 'work', 'shared'],
      ['shared', 'spec'],
      ['shared', 'seeds'],
    ].map((parts) => parts.join('/'));
    const offenders = files
      .filter((file) => {
        const text = readFileSync(file, 'utf8');
        return names.some((name) => text.includes(name));
      })
      .map(show);
    expect(offenders).toEqual([]);
  });

  it('no file keeps a merge-conflict marker', () => {
    // Also the spaced form a Markdown formatter makes of one (`> > > > > > > branch`).
    const marker = /^\s*(<{7}|={7}|>{7}|(> ){7}|(< ){7})( |$|\S)/m;
    expect(files.filter((file) => marker.test(readFileSync(file, 'utf8'))).map(show)).toEqual([]);
  });

  it('every relative Markdown link points at a file inside the repository', () => {
    const broken: string[] = [];
    for (const file of files.filter((f) => f.endsWith('.md'))) {
      for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^([a-z]+:|#)/i.test(target)) continue;
        const resolved = path.resolve(path.dirname(file), decodeURI(target.split('#')[0] ?? ''));
        if (!inside(resolved) || !existsSync(resolved)) broken.push(`${show(file)}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("every `new URL('…', import.meta.url)` in the code resolves inside the repository", () => {
    const escaping: string[] = [];
    for (const file of files.filter((f) => /\.(ts|mjs|js)$/.test(f))) {
      const text = readFileSync(file, 'utf8');
      for (const [, relative] of text.matchAll(
        /new URL\(\s*['"`](\.[^'"`$]*)['"`],\s*import\.meta\.url\s*\)/g,
      )) {
        if (relative && !inside(path.resolve(path.dirname(file), relative)))
          escaping.push(`${show(file)}: ${relative}`);
      }
    }
    expect(escaping).toEqual([]);
  });

  it('npm ci installed the optional onnxruntime-node with its CPU binary for this platform', () => {
    // Its install script downloads a CUDA build and fails offline; npm then drops the package without an error.
    // package.json denies that script (allowScripts), so the download is never tried.
    const require = createRequire(import.meta.url);
    const entry = require.resolve('onnxruntime-node');
    const packageDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
    expect(entry.startsWith(packageDir)).toBe(true);
    const { napi_versions: napi } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'))
      .binary as { napi_versions: number[] };
    const bindings = napi.map((v) =>
      path.join(packageDir, 'bin', `napi-v${v}`, process.platform, process.arch, 'onnxruntime_binding.node'),
    );
    expect(
      bindings.some((binding) => existsSync(binding)),
      bindings.join(', '),
    ).toBe(true);
  });

  it('npm never runs the onnxruntime-node download, and runs the install scripts the project needs', () => {
    const { allowScripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      allowScripts: Record<string, boolean>;
    };
    expect(allowScripts['onnxruntime-node']).toBe(false);
    for (const name of ['better-sqlite3', 'sharp', 'esbuild']) expect(allowScripts[name], name).toBe(true);
    // The CUDA libraries the script would have fetched are absent: this install downloaded nothing.
    const packageDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const cuda = path.join(
      packageDir,
      'bin',
      'napi-v6',
      process.platform,
      process.arch,
      'libonnxruntime_providers_cuda.so',
    );
    expect(existsSync(cuda)).toBe(false);
    // The deprecated project config key (npm 11 warns "Unknown project config … will stop working") is gone.
    const npmrc = path.join(ROOT, '.npmrc');
    if (existsSync(npmrc)) expect(readFileSync(npmrc, 'utf8')).not.toMatch(/onnxruntime-node-install/);
  });
});

/** Files and packages reachable from `entry` through static (non-type) imports; `await import()` is not followed. */
function staticImportGraph(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+'([^']+)'/gm),
      ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
    ].map((m) => m[1] as string);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier));
      else packages.add(specifier);
    }
  };
  visit(entry);
  return { files: [...files].map(show).sort(), packages: [...packages].sort() };
}

describe('lightbox admin loads only what it needs', () => {
  it('the CLI entry imports each command lazily', () => {
    const graph = staticImportGraph(path.join(ROOT, 'src/cli/main.ts'));
    expect(graph.files).toEqual(['src/cli/main.ts']);
    expect(graph.packages.every((p) => p.startsWith('node:'))).toBe(true);
  });

  it('the user CLI loads the client and commander, nothing of the server', () => {
    const graph = staticImportGraph(path.join(ROOT, 'src/cli/user/program.ts'));
    expect(
      graph.files.every(
        (f) => f.startsWith('src/cli/user/') || f.startsWith('src/client/') || f.startsWith('src/config/'),
      ),
    ).toBe(true);
    expect(graph.packages.filter((p) => !p.startsWith('node:'))).toEqual(['commander']);
  });

  it('lightbox/client imports only itself and Node built-ins', () => {
    const graph = staticImportGraph(path.join(ROOT, 'src/client/index.ts'));
    expect(graph.files.every((f) => f.startsWith('src/client/'))).toBe(true);
    expect(graph.packages.every((p) => p.startsWith('node:'))).toBe(true);
  });

  it('admin-command reads the config and nothing of the server (no Fastify, sharp, store or composition root)', () => {
    const graph = staticImportGraph(path.join(ROOT, 'src/cli/admin-command.ts'));
    expect(graph.files.every((f) => f === 'src/cli/admin-command.ts' || f.startsWith('src/config/'))).toBe(
      true,
    );
    expect(graph.packages.filter((p) => !p.startsWith('node:'))).toEqual([]);
  });
});
