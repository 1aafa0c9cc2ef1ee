import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { startWorker } from '../../src/app/background.ts';
import { composeServices, type Services } from '../../src/app/compose.ts';
import { createLogger } from '../../src/app/logger.ts';
import { loadConfig } from '../../src/config/config.ts';
import { type Resolver, systemResolver } from '../../src/fetcher/index.ts';
import { type App, buildServer } from '../../src/http/server.ts';
import { HTTP_SUITE_DIALECT, TEST_PROFILE, TEST_REDIS_URL } from './databases.ts';
import { startS3rver } from './fake-s3.ts';
import { type Conformance, checkResponsesAgainstOpenApi } from './openapi-conformance.ts';
import { createPostgresDatabase } from './postgres.ts';
import { freePort } from './processes.ts';
import { deleteRedisPrefix } from './redis.ts';

export interface TestServer {
  url: string;
  app: App;
  services: Services;
  adminToken: string;
  /** fetch against the server with JSON helpers. */
  request(method: string, pathname: string, init?: RequestOptions): Promise<TestResponse>;
  admin(method: string, pathname: string, body?: unknown): Promise<TestResponse>;
  /** Host names the safe fetcher resolves from now on (undefined: the system resolver again). */
  useResolver(resolver: Resolver | undefined): void;
  /** Every answer checked against `/openapi.json`; `close()` fails when any disagreed. */
  conformance: Conformance;
  close(): Promise<void>;
}

export interface RequestOptions {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  key?: string;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
  body: any;
}

/**
 * A real server on a loopback port with a scratch data directory, on the embedded profile (or PostgreSQL when
 * LIGHTBOX_TEST_DATABASE=postgres). `env` overrides settings exactly as an operator would.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { worker?: boolean; logStream?: Writable } = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lightbox-test-'));
  const port = await freePort();
  const pg = HTTP_SUITE_DIALECT === 'postgres' ? await createPostgresDatabase() : undefined;
  const scaleOut = TEST_PROFILE === 'scale-out' ? await scaleOutBackends() : undefined;
  const config = loadConfig({
    PORT: String(port),
    LIGHTBOX_HOST: '127.0.0.1',
    LIGHTBOX_DATA_DIR: dataDir,
    LIGHTBOX_LOG_LEVEL: process.env.LIGHTBOX_TEST_LOG_LEVEL ?? 'silent',
    LIGHTBOX_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...(pg ? { LIGHTBOX_DATABASE_URL: pg.url } : {}),
    ...scaleOut?.env,
    ...env,
  });
  let resolver: Resolver = systemResolver;
  const services = await composeServices(config, createLogger(config, options.logStream), {
    resolver: (hostname) => resolver(hostname),
  });
  const app = await buildServer(services);
  const conformance = checkResponsesAgainstOpenApi(app);
  // Role `all`, as `npm start` runs: jobs (enhancement items, sweeps) are processed in this process.
  const stopWorker = options.worker === false ? async () => {} : startWorker(services);
  await app.listen({ port, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;

  const request = async (
    method: string,
    pathname: string,
    init: RequestOptions = {},
  ): Promise<TestResponse> => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.key) headers.authorization = `Bearer ${init.key}`;
    let body = init.body;
    if (init.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof init.json === 'string' ? init.json : JSON.stringify(init.json);
    }
    const response = await fetch(`${url}${pathname}`, { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  };

  return {
    url,
    app,
    services,
    adminToken: services.secrets.adminToken,
    request,
    admin: (method, pathname, body) =>
      request(method, pathname, {
        key: services.secrets.adminToken,
        ...(body !== undefined ? { json: body } : {}),
      }),
    useResolver(next) {
      resolver = next ?? systemResolver;
    },
    conformance,
    async close() {
      conformance.flush();
      await app.close();
      conformance.flush(); // answers finished while closing
      await stopWorker();
      await services.close();
      await pg?.drop();
      await scaleOut?.close();
      await rm(dataDir, { recursive: true, force: true });
      if (conformance.violations.length > 0) {
        throw new Error(
          `${conformance.violations.length} answer(s) disagree with /openapi.json (src/http/schemas, docs/openapi.md):\n${conformance.violations.join('\n')}`,
        );
      }
    },
  };
}

/** Redis (own key prefix, removed afterwards) and an s3rver bucket for one scale-out test server. */
async function scaleOutBackends(): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  const prefix = `lbtest:${randomBytes(6).toString('hex')}:`;
  const s3 = await startS3rver('lightbox-test');
  return {
    env: {
      LIGHTBOX_REDIS_URL: TEST_REDIS_URL,
      LIGHTBOX_REDIS_PREFIX: prefix,
      LIGHTBOX_S3_BUCKET: 'lightbox-test',
      LIGHTBOX_S3_ENDPOINT: s3.endpoint,
      LIGHTBOX_S3_ACCESS_KEY_ID: 'S3RVER',
      LIGHTBOX_S3_SECRET_ACCESS_KEY: 'S3RVER',
      LIGHTBOX_S3_FORCE_PATH_STYLE: '1',
    },
    async close() {
      await s3.close();
      await deleteRedisPrefix(TEST_REDIS_URL, prefix);
    },
  };
}
