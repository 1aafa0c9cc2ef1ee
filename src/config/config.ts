import path from 'node:path';
import type { PlanSetting } from './parsers.ts';
import { type SettingName, type SettingValues, settings } from './settings.ts';

export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** Where originals, renditions and results live: `<data>/blobs` unless an S3 bucket is set. */
export type BlobsConfig =
  | { kind: 'fs'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      region: string;
      endpoint?: string;
      forcePathStyle: boolean;
      /** Unset: the SDK's default chain. */
      credentials?: { accessKeyId: string; secretAccessKey: string };
    };

/** The jobs table in the SQL store, unless a Redis URL is set (BullMQ). */
export type QueueConfig = { kind: 'sql' } | { kind: 'bullmq'; url: string; prefix: string };

/** In-process GCRA, unless a rate-limit Redis URL (or the queue's) is set. */
export type LimiterConfig = { kind: 'memory' } | { kind: 'redis'; url: string; prefix: string };

/** Mail stays in the outbox, unless an SMTP URL is set. */
export type MailConfig = { kind: 'outbox' } | { kind: 'smtp'; url: string; from: string };

/**
 * The settings, plus one tagged union per port (`database`, `blobs`, `queue`, `limiter`, `mail`) derived from them
 * once: the composition root switches on `.kind`. The flat settings they come from stay readable too.
 */
export interface Config extends Omit<SettingValues, 'publicUrl' | 'srcBase' | 'databaseUrl'> {
  publicUrl: string;
  srcBase: string;
  dashboardUrl: string;
  docsUrl: string;
  dataDir: string;
  database: DatabaseConfig;
  blobs: BlobsConfig;
  queue: QueueConfig;
  limiter: LimiterConfig;
  mail: MailConfig;
  plans: PlanSetting[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The only reader of the environment. Collects every bad setting before failing, so an operator fixes them in one go.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const problems: string[] = [];
  const values: Partial<Record<SettingName, unknown>> = {};
  for (const [name, def] of Object.entries(settings) as [SettingName, (typeof settings)[SettingName]][]) {
    const raw = env[def.env] ?? def.default ?? '';
    try {
      values[name] = def.parse(raw);
    } catch (error) {
      problems.push(`${def.env}=${JSON.stringify(raw)}: ${(error as Error).message}`);
    }
  }
  const v = values as SettingValues;
  // Checked whenever both parsed, so a bad default plan is reported alongside any other bad setting.
  if (
    values.plans !== undefined &&
    values.defaultPlan !== undefined &&
    !v.plans.some((p) => p.name === v.defaultPlan)
  ) {
    problems.push(
      `LIGHTBOX_DEFAULT_PLAN=${JSON.stringify(v.defaultPlan)}: must name a plan of LIGHTBOX_PLANS`,
    );
  }
  if (problems.length === 0 && v.enhanceProviders.includes('http') && !v.enhanceHttpUrl) {
    problems.push('LIGHTBOX_ENHANCE_HTTP_URL: required when LIGHTBOX_ENHANCE_PROVIDERS includes http');
  }
  if (problems.length === 0 && Boolean(v.s3AccessKeyId) !== Boolean(v.s3SecretAccessKey)) {
    problems.push('LIGHTBOX_S3_ACCESS_KEY_ID / LIGHTBOX_S3_SECRET_ACCESS_KEY: set both or neither');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const publicUrl = v.publicUrl ?? `http://localhost:${v.port}`;
  const dataDir = path.resolve(v.dataDir);
  return Object.freeze({
    ...v,
    dataDir,
    publicUrl,
    srcBase: v.srcBase ?? `${publicUrl}/src`,
    dashboardUrl: v.dashboardUrl ?? `${publicUrl}/keys`,
    docsUrl: v.docsUrl ?? `${publicUrl}/docs/quick-start`,
    database: databaseConfig(v.databaseUrl, dataDir),
    blobs: blobsConfig(v, dataDir),
    queue: queueConfig(v),
    limiter: limiterConfig(v),
    mail: mailConfig(v),
  });
}

function blobsConfig(v: SettingValues, dataDir: string): BlobsConfig {
  if (!v.s3Bucket) return { kind: 'fs', dir: path.join(dataDir, 'blobs') };
  return {
    kind: 's3',
    bucket: v.s3Bucket,
    region: v.s3Region,
    forcePathStyle: v.s3ForcePathStyle,
    ...(v.s3Endpoint ? { endpoint: v.s3Endpoint } : {}),
    ...(v.s3AccessKeyId && v.s3SecretAccessKey
      ? { credentials: { accessKeyId: v.s3AccessKeyId, secretAccessKey: v.s3SecretAccessKey } }
      : {}),
  };
}

function queueConfig(v: SettingValues): QueueConfig {
  return v.redisUrl ? { kind: 'bullmq', url: v.redisUrl, prefix: v.redisPrefix } : { kind: 'sql' };
}

/** Rate limits share the queue's Redis unless they have their own. */
function limiterConfig(v: SettingValues): LimiterConfig {
  const url = v.rateLimitRedisUrl ?? v.redisUrl;
  return url ? { kind: 'redis', url, prefix: v.redisPrefix } : { kind: 'memory' };
}

function databaseConfig(url: string | undefined, dataDir: string): DatabaseConfig {
  if (!url) return { kind: 'sqlite', file: path.join(dataDir, 'lightbox.db') };
  if (url.startsWith('sqlite:')) {
    const file = url.replace(/^sqlite:(\/\/)?/, '');
    return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(file) };
  }
  return { kind: 'postgres', url };
}

function mailConfig(v: SettingValues): MailConfig {
  return v.smtpUrl ? { kind: 'smtp', url: v.smtpUrl, from: v.mailFrom } : { kind: 'outbox' };
}
