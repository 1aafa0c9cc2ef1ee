import path from 'node:path';
import type { PlanSetting } from './parsers.ts';
import { type SettingName, type SettingValues, settings } from './settings.ts';

export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export interface Config extends Omit<SettingValues, 'publicUrl' | 'srcBase' | 'databaseUrl'> {
  publicUrl: string;
  srcBase: string;
  dashboardUrl: string;
  docsUrl: string;
  dataDir: string;
  database: DatabaseConfig;
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
  if (problems.length === 0 && v.enhanceProviders.includes('onnx') && !v.segmentationModel) {
    problems.push('LIGHTBOX_SEGMENTATION_MODEL: required when LIGHTBOX_ENHANCE_PROVIDERS includes onnx');
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
  });
}

function databaseConfig(url: string | undefined, dataDir: string): DatabaseConfig {
  if (!url) return { kind: 'sqlite', file: path.join(dataDir, 'lightbox.db') };
  if (url.startsWith('sqlite:')) {
    const file = url.replace(/^sqlite:(\/\/)?/, '');
    return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(file) };
  }
  return { kind: 'postgres', url };
}
