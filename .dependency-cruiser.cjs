// Layer rules for src/ (`npm run deps`). Dependencies point inward: entry points (cli) → composition root (app)
// → http → web → domain folders → ports → shared lower layers (errors, lib). Type-only imports count: a cycle or a
// wrong-way import through `import type` couples the modules just the same.
const DOMAIN =
  '^src/(accounts|media|delivery|enhancements|credits|webhooks|sessions|models|backup|operations)/';
const PORTS = '^src/(store|blobs|queue|limiter|mail|fetcher|imaging)/';
const OUTER = '^src/(http|web|app|cli)/';
const TEST = '\\.test\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles in src/, type-only imports included.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'ports-not-to-domain',
      severity: 'error',
      comment:
        'Ports know nothing of the domain that uses them, nor of the HTTP and web layers, composition or CLI.',
      from: { path: PORTS, pathNot: TEST },
      to: { path: [DOMAIN, OUTER] },
    },
    {
      name: 'domain-not-to-outer',
      severity: 'error',
      comment:
        'Domain code is called by http/ and web/ and wired by app/; it imports none of them, nor the CLI.',
      from: { path: DOMAIN, pathNot: TEST },
      to: { path: OUTER },
    },
    {
      name: 'only-cli-imports-cli',
      severity: 'error',
      comment: 'src/cli/ is the entry point: nothing below it imports it.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'config-imports-lib-only',
      severity: 'error',
      comment:
        'src/config/ (settings, loadConfig) is read by everyone, so it depends on nothing but src/lib/.',
      from: { path: '^src/config/', pathNot: TEST },
      to: { path: '^src/', pathNot: '^src/(config|lib)/' },
    },
    {
      name: 'errors-imports-lib-only',
      severity: 'error',
      comment: 'The error catalog is a shared lower layer: it imports nothing from src but src/lib/.',
      from: { path: '^src/errors/', pathNot: TEST },
      to: { path: '^src/', pathNot: '^src/(errors|lib)/' },
    },
    {
      name: 'lib-is-a-leaf',
      severity: 'error',
      comment: 'src/lib/ holds dependency-free helpers: it imports nothing from the rest of src.',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/lib/' },
    },
    {
      name: 'only-sharp-lib-imports-sharp',
      severity: 'error',
      comment:
        'All sharp use goes through src/imaging/sharp-lib.ts (concurrency, cache and limits are set there once).',
      from: { path: '^src/', pathNot: '^src/imaging/sharp-lib\\.ts$' },
      to: { path: '^node_modules/sharp/' },
    },
    {
      name: 'web-not-to-http',
      severity: 'error',
      comment:
        'src/web/ is mounted by src/http/server.ts and renders its error pages; it never imports http/ back.',
      from: { path: '^src/web/' },
      to: { path: '^src/http/' },
    },
    {
      name: 'only-metrics-imports-prom-client',
      severity: 'error',
      comment: 'The Prometheus client is src/metrics/ only; everything else reports through an interface.',
      from: { path: '^src/', pathNot: '^src/metrics/' },
      to: { path: '^node_modules/prom-client/' },
    },
    {
      name: 'metrics-imports-lib-only',
      severity: 'error',
      comment: 'src/metrics/ (the registry) knows no port or domain: app/ wires its samplers.',
      from: { path: '^src/metrics/', pathNot: TEST },
      to: { path: '^src/', pathNot: '^src/(metrics|lib)/' },
    },
    {
      name: 'domain-and-ports-report-through-lib-metrics',
      severity: 'error',
      comment: 'Domain code and ports report events through the `Metrics` slice of src/lib/metrics.ts.',
      from: { path: [DOMAIN, PORTS], pathNot: TEST },
      to: { path: '^src/metrics/' },
    },
    {
      name: 'client-is-standalone',
      comment:
        'src/client/ is `lightbox/client`, shipped to applications: it imports nothing of the server, only itself and Node built-ins.',
      severity: 'error',
      from: { path: '^src/client/', pathNot: TEST },
      to: {
        pathNot: '^src/client/',
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'mcp-on-the-client-only',
      comment:
        'src/mcp/ (the MCP tools) works through the public client, so stdio and /mcp behave as the HTTP API does.',
      severity: 'error',
      from: { path: '^src/mcp/', pathNot: TEST },
      to: { path: '^src/', pathNot: '^src/(mcp|client)/' },
    },
    {
      name: 'production-not-to-dev-dependencies',
      severity: 'error',
      comment:
        'Production code must run after `npm ci --omit=dev`; tests, contract suites and testing helpers may use dev dependencies.',
      from: {
        path: '^src/',
        pathNot: ['\\.test\\.ts$', '\\.contract\\.ts$', '/testing/', '/test-support\\.ts$'],
      },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
