import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/config.ts';
import { settings } from '../src/config/settings.ts';
import { unknownSettings } from '../src/config/unknown-settings.ts';
import { lightboxArgs } from './support/processes.ts';

/**
 * The deployment files cannot be run here (no container engine, no systemd): what they say is checked against the
 * code instead, so they cannot drift from it — commands, setting names, values that must parse, stop timeouts.
 */
const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');

interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
const lightboxServices = Object.entries(compose.services).filter(
  ([, service]) => service.build !== undefined,
);
const SETTING_NAMES = new Set(Object.values(settings).map((s) => s.env));
const DEFAULT_GRACE = Number(settings.shutdownGraceSeconds.default);

/** `${NAME:?message}` and `${NAME:-default}` as compose substitutes them, with a value `.env` would give. */
function interpolate(value: string): string {
  return value.replace(
    /\$\{(\w+)(?::([?-])([^}]*))?\}/g,
    (_all, name: string, kind?: string, rest?: string) =>
      kind === '-' ? (rest ?? '') : `${name.toLowerCase()}-value-long-enough-for-any-secret`,
  );
}

const seconds = (duration: string) => {
  const match = /^(\d+)(s|m)$/.exec(duration);
  if (!match) throw new Error(`unreadable duration ${duration}`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
};

describe('compose.yaml', () => {
  it('runs PostgreSQL, Redis, an S3 store, two API processes and a worker', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'minio', 'api-a', 'api-b', 'worker']),
    );
    const roles = lightboxServices.map(([, service]) => service.command?.at(-1)).sort();
    expect(roles).toEqual(['api', 'api', 'worker']);
  });

  it('starts each server process with the command the process tests run', () => {
    for (const [name, service] of lightboxServices) {
      const role = service.command?.at(-1) as 'api' | 'worker';
      expect(service.command, name).toEqual(['node', ...lightboxArgs(role)]);
    }
  });

  it('sets only real settings, and they load into the scale-out profile', () => {
    for (const [name, service] of lightboxServices) {
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value))]),
      );
      for (const key of Object.keys(env)) expect(SETTING_NAMES.has(key), `${name}: ${key}`).toBe(true);
      expect(unknownSettings(env)).toEqual([]);
      const config = loadConfig(env);
      expect([config.database.kind, config.queue.kind, config.limiter.kind, config.blobs.kind], name).toEqual(
        ['postgres', 'bullmq', 'redis', 's3'],
      );
      // Waits for its backends, and gets longer than the drain to stop.
      expect(Object.keys(service.depends_on ?? {}).sort()).toEqual(['minio-bucket', 'postgres', 'redis']);
      expect(seconds(service.stop_grace_period ?? '10s')).toBeGreaterThan(config.shutdownGraceSeconds);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('is multi-stage, installs production dependencies only, and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(dockerfile).toMatch(/^COPY --from=deps /m);
    expect(dockerfile).toMatch(/^USER node$/m);
    // `--omit=dev` is enough only while the runtime (tsx runs the sources) is a production dependency.
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.tsx).toBeDefined();
    expect(read('bin/lightbox.js')).toContain("from 'tsx/esm/api'");
  });

  it('checks health on /healthz and starts the server as the process tests do', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/healthz/m);
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(cmd ?? '[]')).toEqual(['node', ...lightboxArgs('all')]);
    for (const [key] of dockerfile.matchAll(/\b(LIGHTBOX_[A-Z_]+)=/g))
      expect(SETTING_NAMES.has(key.slice(0, -1)), key).toBe(true);
  });

  it('leaves tests, data and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'data', 'test', '.env', '.git']) expect(ignored).toContain(entry);
  });
});

describe('systemd unit (docs/deploy/lightbox.service)', () => {
  const unit = read('docs/deploy/lightbox.service');

  it('starts the server as the process tests do and outwaits the drain on stop', () => {
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1]?.split(/\s+/) ?? [];
    expect(exec.slice(1)).toEqual(lightboxArgs('all'));
    expect(exec[0]).toMatch(/\/node$/);
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1])).toBeGreaterThan(DEFAULT_GRACE);
    for (const [, key] of unit.matchAll(/^Environment=(LIGHTBOX_[A-Z_]+)=/gm))
      expect(SETTING_NAMES.has(key as string), key).toBe(true);
  });
});
