import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, type MetricsSamplers } from './metrics-registry.ts';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const silent = { info() {}, warn() {}, error() {} };
const counters = {
  hits: 0,
  computed: 0,
  joined: 0,
  negativeHits: 0,
  substituted: 0,
  limited: 0,
  bounded: 0,
  evicted: 0,
  computedBytes: 0,
  stored: 0,
};

function registry(samplers: Partial<MetricsSamplers> = {}) {
  return createMetricsRegistry({
    itemErrorCodes: ['provider_error'],
    jobNames: ['enhancement.item'],
    log: silent,
    samplers: {
      jobQueue: async () => [],
      imageWork: () => ({ waiting: 0, active: 0 }),
      renditions: () => counters,
      renditionCacheBytes: async () => 0,
      ...samplers,
    },
  });
}

const namesIn = (exposition: string) =>
  [...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string);

/** The metric names the table of docs/operations.md § Metrics lists, in its first column. */
function documented(): string[] {
  const section = read('docs/operations.md').split('## Metrics')[1]?.split('\n## ')[0] ?? '';
  const firstCells = [...section.matchAll(/^\| (`[^|]+)\|/gm)].map((m) => m[1] as string);
  return firstCells.flatMap((cell) => [...cell.matchAll(/`([a-z_*]+)`/g)].map((m) => m[1] as string));
}

describe('metrics registry', () => {
  it('documents every metric it registers in docs/operations.md, and nothing it does not', async () => {
    const names = namesIn(await registry().scrape());
    const table = documented();
    const prefixes = table.filter((n) => n.endsWith('*')).map((n) => n.slice(0, -1));
    for (const name of names)
      expect(table.includes(name) || prefixes.some((p) => name.startsWith(p)), name).toBe(true);
    for (const row of table.filter((n) => !n.endsWith('*'))) expect(names, row).toContain(row);
    expect(names.filter((n) => n.startsWith('lightbox_')).length).toBe(table.length - prefixes.length);
  });

  it('shows only registered metrics in the Grafana dashboard', async () => {
    const names = new Set(namesIn(await registry().scrape()));
    const dashboard = read('docs/deploy/grafana-dashboard.json');
    const used = new Set(
      [...dashboard.matchAll(/\b((?:lightbox|process|nodejs)_[a-z_]+)/g)].map((m) =>
        (m[1] as string).replace(/_(bucket|count|sum)$/, ''),
      ),
    );
    expect(used.size).toBeGreaterThan(15);
    for (const name of used) expect(names.has(name), name).toBe(true);
    // Every lightbox family has a panel.
    for (const name of names) if (name.startsWith('lightbox_')) expect(used.has(name), name).toBe(true);
  });

  it('answers a scrape when a shared backend cannot be read, and counts the failure', async () => {
    const metrics = registry({
      jobQueue: async () => {
        throw new Error('redis down');
      },
    });
    const text = await metrics.scrape();
    expect(text).toContain('lightbox_metrics_sampling_failures_total{sampler="job_queue"} 1');
    expect(text).toContain('lightbox_http_requests_total');
  });

  it('bounds label values: unknown codes, job names and methods collapse to `other`', async () => {
    const metrics = registry();
    metrics.enhancementItemFinished('failed', 'not_a_catalog_code');
    metrics.enhancementItemFinished('failed', 'provider_error');
    metrics.jobRun('made.up', 'completed', 0.1);
    metrics.httpRequest({ family: 'pages', route: 'unmatched', method: 'BREW', status: 404, seconds: 0.01 });
    metrics.webhookAttempt('exploded', 10);
    const text = await metrics.scrape();
    expect(text).toContain('lightbox_enhancement_items_total{outcome="failed",code="other"} 1');
    expect(text).toContain('lightbox_enhancement_items_total{outcome="failed",code="provider_error"} 1');
    expect(text).toContain('lightbox_jobs_total{job_name="other",outcome="completed"} 1');
    expect(text).toMatch(/lightbox_http_requests_total\{[^}]*method="other"[^}]*\} 1/);
    expect(text).toContain('lightbox_webhook_attempts_total{outcome="other"} 1');
  });
});
