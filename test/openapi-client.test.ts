import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.ts';

/**
 * A client generated from /openapi.json with openapi-typescript compiles, with openapi-fetch, against a consumer
 * that calls every operation (test/openapi-client/consumer.ts): no `data: never`, no missing operation.
 */

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, '..');
const CONSUMER = path.join(import.meta.dirname, 'openapi-client', 'consumer.ts');
// Inside node_modules so the scratch folder resolves `openapi-fetch` like any project file would.
const SCRATCH_PARENT = path.join(ROOT, 'node_modules', '.cache');

let server: TestServer;
let scratch: string;
beforeAll(async () => {
  server = await startTestServer();
  await mkdir(SCRATCH_PARENT, { recursive: true });
  scratch = await mkdtemp(path.join(SCRATCH_PARENT, 'lightbox-openapi-client-'));
});
afterAll(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

/** File uploads (`format: binary`) as `Blob`, as openapi-typescript's documentation recommends. */
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier('Blob'));

describe('a generated TypeScript client', () => {
  it('compiles with zero errors against a consumer that calls every operation', async () => {
    const document = (await server.request('GET', '/openapi.json')).body;
    const ast = await openapiTS(document, {
      transform: (schema) => (schema.format === 'binary' ? BLOB : undefined),
    });
    await writeFile(path.join(scratch, 'schema.ts'), astToString(ast));
    await copyFile(CONSUMER, path.join(scratch, 'consumer.ts'));
    await writeFile(
      path.join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022', 'DOM'],
          types: [],
          strict: true,
          noUncheckedIndexedAccess: true,
          allowImportingTsExtensions: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ['consumer.ts', 'schema.ts'],
      }),
    );
    expect(require.resolve('openapi-fetch')).toContain(path.join('node_modules', 'openapi-fetch'));
    const tsc = require.resolve('typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', scratch], { cwd: scratch }).then(
      (done) => ({ code: 0, output: done.stdout + done.stderr }),
      (failed: { code: number; stdout: string; stderr: string }) => ({
        code: failed.code,
        output: failed.stdout + failed.stderr,
      }),
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);

    // Every operation of the document is called by the consumer.
    const consumer = await readFile(CONSUMER, 'utf8');
    const called = new Set(
      [...consumer.matchAll(/client\.(GET|POST|PUT|PATCH|DELETE)\('([^']+)'/g)].map(
        ([, m, p]) => `${m} ${p}`,
      ),
    );
    const operations = Object.entries<Record<string, unknown>>(document.paths).flatMap(([p, item]) =>
      Object.keys(item)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(operations.length).toBeGreaterThan(0);
    expect(operations.filter((operation) => !called.has(operation))).toEqual([]);
  }, 120_000);
});
