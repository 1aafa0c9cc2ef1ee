import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { settings } from './settings.ts';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The ConfigError `loadConfig(env)` throws; fails the test when it does not throw one. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  it('an empty environment loads, with the contract’s defaults', () => {
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.srcBase).toBe('http://localhost:8080/src');
    expect(config.dashboardUrl).toBe('http://localhost:8080/keys');
    expect(config.dataDir).toBe(path.resolve('./data'));
    expect(config.database).toEqual({
      kind: 'sqlite',
      file: path.join(path.resolve('./data'), 'lightbox.db'),
    });
    expect(config.keyPrefix).toBe('img');
    expect(config.defaultPlan).toBe('free');
    expect(config.plans.map((p) => p.name)).toEqual(['free', 'pro']);
    expect(config.billingUrl).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
    expect(config.secret).toBeUndefined();
    expect(config.trustedProxies).toEqual([]);
    expect(config.fetchAllowCidrs).toEqual([]);
  });

  it('limits default to the numbers of docs/api.md', () => {
    // §2.1: 5 keys per email and 20 per IP per hour, 3 active keys while unverified.
    expect([config.keysPerEmailPerHour, config.keysPerIpPerHour, config.unverifiedMaxKeys]).toEqual([
      5, 20, 3,
    ]);
    // §2.2: 70 MB with a key, SVG 10 MB, 20 MB anonymous, 100 megapixels; 20/hour and 100/day anonymous.
    expect([config.maxUploadMb, config.maxSvgMb, config.maxAnonUploadMb]).toEqual([70, 10, 20]);
    expect(config.maxPixels).toBe(100_000_000);
    expect([config.anonPerHour, config.anonPerDay, config.anonRetentionDays]).toEqual([20, 100, 30]);
    // §2.8: signed links live 7 days.
    expect(config.linkTtlSeconds).toBe(7 * 86_400);
    // §3.2: 200 lifetime credits, 5 per image, 1 active per key and 2 per account, 60 creates / 600 reads a minute.
    expect([config.apiMinLifetimePurchased, config.creditsPerImage]).toEqual([200, 5]);
    expect([config.activePerKey, config.activePerAccount]).toEqual([1, 2]);
    expect([config.createsPerMinute, config.readsPerMinute]).toEqual([60, 600]);
  });

  it('every setting’s documented default parses', () => {
    for (const def of Object.values(settings)) {
      if (def.default !== null) expect(() => def.parse(def.default as string), def.env).not.toThrow();
    }
  });

  it('the config is frozen', () => {
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('env names are unique and upper snake case', () => {
    const names = Object.values(settings).map((s) => s.env);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });
});

describe('loadConfig overrides', () => {
  it('derived URLs follow LIGHTBOX_PUBLIC_URL (trailing slash removed)', () => {
    const config = loadConfig({ LIGHTBOX_PUBLIC_URL: 'https://img.example.test/' });
    expect(config.publicUrl).toBe('https://img.example.test');
    expect(config.srcBase).toBe('https://img.example.test/src');
    expect(config.dashboardUrl).toBe('https://img.example.test/keys');
  });

  it('LIGHTBOX_DATABASE_URL picks PostgreSQL or an SQLite file', () => {
    expect(loadConfig({ LIGHTBOX_DATABASE_URL: 'postgres://u@db:5432/lightbox' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@db:5432/lightbox',
    });
    expect(loadConfig({ LIGHTBOX_DATABASE_URL: 'sqlite:///var/lib/lightbox/x.db' }).database).toEqual({
      kind: 'sqlite',
      file: '/var/lib/lightbox/x.db',
    });
  });

  it('plans, lists and booleans parse', () => {
    const config = loadConfig({
      LIGHTBOX_PLANS: 'basic:10:100,plus:50:500:Plus plan',
      LIGHTBOX_DEFAULT_PLAN: 'basic',
      LIGHTBOX_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8, ::1',
      LIGHTBOX_CONTENT_POLICY: 'weapon;;gore',
      LIGHTBOX_LOG_PRETTY: 'yes',
      LIGHTBOX_ENHANCE_MAX_UPSCALE: '2.5',
    });
    expect(config.plans).toEqual([
      { name: 'basic', uploadsPerMonth: 10, storageBytes: 100 * 1024 * 1024, label: 'Basic' },
      { name: 'plus', uploadsPerMonth: 50, storageBytes: 500 * 1024 * 1024, label: 'Plus plan' },
    ]);
    expect(config.trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(config.contentPolicy.map((r) => r.test('A WEAPON'))).toEqual([true, false]);
    expect(config.logPretty).toBe(true);
    expect(config.enhanceMaxUpscale).toBe(2.5);
  });
});

describe('bad settings', () => {
  it('several bad settings at once → one ConfigError naming every one of them', () => {
    const bad = {
      PORT: 'eighty',
      LIGHTBOX_KEY_PREFIX: 'IMG',
      LIGHTBOX_TRUSTED_PROXIES: 'not-an-ip',
      LIGHTBOX_SECRET: 'short',
      LIGHTBOX_LINK_TTL_SECONDS: '5',
      LIGHTBOX_LOG_LEVEL: 'loud',
      LIGHTBOX_BILLING_URL: 'ftp://billing.example.test',
      LIGHTBOX_DATABASE_URL: 'mysql://db/lightbox',
      LIGHTBOX_LOG_PRETTY: 'maybe',
      LIGHTBOX_CONTENT_POLICY: '(unclosed',
    };
    const error = configError(bad);
    expect(error.problems).toHaveLength(Object.keys(bad).length);
    for (const [name, value] of Object.entries(bad)) {
      const problem = error.problems.find((p) => p.startsWith(`${name}=`));
      expect(problem, name).toBeDefined();
      expect(problem).toContain(JSON.stringify(value));
      expect(error.message).toContain(name);
    }
  });

  it('a default plan outside LIGHTBOX_PLANS is reported together with other bad settings', () => {
    const error = configError({ LIGHTBOX_DEFAULT_PLAN: 'gold', PORT: '-1' });
    expect(error.problems.map((p) => p.split('=')[0]).sort()).toEqual(['LIGHTBOX_DEFAULT_PLAN', 'PORT']);
  });

  it.each([
    ['PORT', '65536'],
    ['PORT', '8080.5'],
    ['LIGHTBOX_KEYS_PER_IP_PER_HOUR', '0'],
    ['LIGHTBOX_ADMIN_TOKEN', 'too-short'],
    ['LIGHTBOX_PUBLIC_URL', 'example.test'],
    ['LIGHTBOX_TRUSTED_PROXIES', '10.0.0.0/33'],
    ['LIGHTBOX_PLANS', 'free:lots:5'],
    ['LIGHTBOX_PLANS', 'free:1:1,free:2:2'],
    ['LIGHTBOX_KEY_PREFIX', 'a'],
    ['LIGHTBOX_ENHANCE_MAX_UPSCALE', '0.5'],
    ['LIGHTBOX_ENHANCE_MAX_UPSCALE', '4x'],
  ])('%s=%j is refused', (name, value) => {
    expect(configError({ [name]: value }).problems.map((p) => p.split('=')[0])).toEqual([name]);
  });
});

describe('one backend per port, derived once', () => {
  it('an empty environment picks the embedded backends', () => {
    const config = loadConfig({});
    expect(config.blobs).toEqual({ kind: 'fs', dir: path.join(path.resolve('./data'), 'blobs') });
    expect(config.queue).toEqual({ kind: 'sql' });
    expect(config.limiter).toEqual({ kind: 'memory' });
    expect(config.mail).toEqual({ kind: 'outbox' });
  });

  it('the scale-out settings pick S3, BullMQ, Redis limits and SMTP', () => {
    const config = loadConfig({
      LIGHTBOX_S3_BUCKET: 'media',
      LIGHTBOX_S3_REGION: 'eu-west-1',
      LIGHTBOX_S3_ENDPOINT: 'http://127.0.0.1:9000',
      LIGHTBOX_S3_FORCE_PATH_STYLE: '1',
      LIGHTBOX_S3_ACCESS_KEY_ID: 'id',
      LIGHTBOX_S3_SECRET_ACCESS_KEY: 'secret',
      LIGHTBOX_REDIS_URL: 'redis://127.0.0.1:6379/2',
      LIGHTBOX_REDIS_PREFIX: 'lb:',
      LIGHTBOX_SMTP_URL: 'smtp://127.0.0.1:2525',
      LIGHTBOX_MAIL_FROM: 'Shop <shop@example.test>',
    });
    expect(config.blobs).toEqual({
      kind: 's3',
      bucket: 'media',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
    });
    expect(config.queue).toEqual({ kind: 'bullmq', url: 'redis://127.0.0.1:6379/2', prefix: 'lb:' });
    // Rate limits share the queue's Redis unless they have their own.
    expect(config.limiter).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379/2', prefix: 'lb:' });
    expect(config.mail).toEqual({
      kind: 'smtp',
      url: 'smtp://127.0.0.1:2525',
      from: 'Shop <shop@example.test>',
    });
  });

  it('a rate-limit Redis of its own leaves the queue on SQL; S3 without keys uses the SDK chain', () => {
    const config = loadConfig({
      LIGHTBOX_RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:6379/4',
      LIGHTBOX_S3_BUCKET: 'media',
    });
    expect(config.queue).toEqual({ kind: 'sql' });
    expect(config.limiter).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379/4', prefix: 'lightbox:' });
    expect(config.blobs).toEqual({ kind: 's3', bucket: 'media', region: 'us-east-1', forcePathStyle: false });
  });
});

describe('README', () => {
  it('lists every setting with its default', () => {
    const lines = readFileSync(README, 'utf8').split('\n');
    for (const def of Object.values(settings)) {
      const line = lines.find((l) => new RegExp(`\`${def.env}\``).test(l));
      expect(line, `README mentions \`${def.env}\``).toBeDefined();
      if (def.default) expect(line, `README states the default of ${def.env}`).toContain(def.default);
    }
  });
});
