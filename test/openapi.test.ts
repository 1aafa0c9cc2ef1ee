import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog, type ErrorCode, itemErrorCatalog } from '../src/errors/catalog.ts';
import { hostingRendering } from '../src/errors/render.ts';
import { eventually } from './support/eventually.ts';
import { openApiChecker } from './support/openapi-conformance.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// biome-ignore lint/suspicious/noExplicitAny: the document is read as plain JSON.
type Json = any;

const PUBLIC_URL = 'https://images.example.test';
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

let server: TestServer;
let doc: Json;
const operations: { method: string; path: string; op: Json }[] = [];

beforeAll(async () => {
  server = await startTestServer({ LIGHTBOX_PUBLIC_URL: PUBLIC_URL });
  doc = (await server.request('GET', '/openapi.json')).body;
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const method of METHODS) if (item[method]) operations.push({ method, path, op: item[method] });
  }
});
afterAll(async () => {
  await server.close();
});

const op = (method: string, path: string): Json => doc.paths[path][method];
const param = (operation: Json, name: string): Json =>
  operation.parameters?.find((p: Json) => p.name.toLowerCase() === name.toLowerCase());

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (swagger-parser)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
  });

  it('describes every route of both families, the operator API, delivery, the viewer and health', () => {
    const documented = operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort();
    expect(documented).toEqual(
      [
        'POST /v1/keys',
        'POST /v1/upload',
        'POST /v1/import',
        'GET /v1/media',
        'PATCH /v1/media',
        'DELETE /v1/media',
        'GET /v1/media/{id}',
        'PATCH /v1/media/{id}',
        'DELETE /v1/media/{id}',
        'GET /v1/usage',
        'GET /api/v1/product-image-enhancement-presets',
        'POST /api/v1/product-image-enhancements',
        'GET /api/v1/product-image-enhancements',
        'GET /api/v1/product-image-enhancements/{id}',
        'POST /admin/v1/accounts',
        'GET /admin/v1/accounts',
        'GET /admin/v1/accounts/{id}',
        'PATCH /admin/v1/accounts/{id}',
        'POST /admin/v1/accounts/{id}/credits',
        'GET /admin/v1/accounts/{id}/ledger',
        'POST /admin/v1/accounts/{id}/keys',
        'GET /admin/v1/keys',
        'PATCH /admin/v1/keys/{key_id}',
        'DELETE /admin/v1/keys/{key_id}',
        'GET /admin/v1/webhook-deliveries',
        'POST /admin/v1/webhook-deliveries/{id}/redeliver',
        'GET /admin/v1/outbox',
        'GET /src/{token}/{file}',
        'GET /i/{id}',
        'GET /healthz',
        'GET /readyz',
      ].sort(),
    );
  });

  it('gives every operation a unique operationId, a tag, a summary and real responses', () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = doc.tags.map((t: Json) => t.name);
    for (const { method, path, op } of operations) {
      const where = `${method} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.summary, where).toBeTruthy();
      expect(op.tags, where).toHaveLength(1);
      expect(tags, where).toContain(op.tags[0]);
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        expect(response.description, `${where} ${status}`).not.toBe('Default Response');
      }
    }
  });

  it('names this server (its public URL) and separate security schemes for keys, the admin token and sessions', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: PUBLIC_URL })]);
    const schemes = doc.components.securitySchemes;
    expect(schemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.session).toMatchObject({ type: 'apiKey', in: 'cookie' });
    expect(op('get', '/v1/media').security).toEqual([{ apiKey: [] }]);
    expect(op('post', '/api/v1/product-image-enhancements').security).toEqual([{ apiKey: [] }]);
    expect(op('get', '/admin/v1/accounts').security).toEqual([{ adminToken: [] }]);
    // Optional auth is declared as optional; no auth declares none.
    for (const [method, path] of [
      ['post', '/v1/upload'],
      ['post', '/v1/import'],
      ['get', '/v1/media/{id}'],
    ] as const) {
      expect(op(method, path).security, path).toEqual([{}, { apiKey: [] }]);
    }
    expect(op('post', '/v1/keys').security).toBeUndefined();
    expect(op('get', '/api/v1/product-image-enhancement-presets').security).toBeUndefined();
    // Bearer auth is a scheme, never an `Authorization` parameter.
    for (const { op } of operations) expect(param(op, 'authorization')).toBeUndefined();
  });

  it('answers 201 where creates do, and tags each family', () => {
    for (const [method, path] of [
      ['post', '/v1/keys'],
      ['post', '/v1/upload'],
      ['post', '/v1/import'],
      ['post', '/admin/v1/accounts'],
      ['post', '/admin/v1/accounts/{id}/credits'],
      ['post', '/admin/v1/accounts/{id}/keys'],
    ] as const) {
      expect(Object.keys(op(method, path).responses), path).toContain('201');
      expect(Object.keys(op(method, path).responses), path).not.toContain('200');
    }
    // A create that also answers 200: an idempotent replay.
    expect(Object.keys(op('post', '/api/v1/product-image-enhancements').responses)).toEqual(
      expect.arrayContaining(['200', '201']),
    );
    expect(op('post', '/admin/v1/webhook-deliveries/{id}/redeliver').responses['202']).toBeDefined();
    expect(op('post', '/v1/upload').tags).toEqual(['Hosting']);
    expect(op('get', '/api/v1/product-image-enhancements').tags).toEqual(['Enhancement']);
    expect(op('get', '/admin/v1/keys').tags).toEqual(['Operator']);
  });

  it('requires Idempotency-Key with its pattern, and leaves parameters with a default optional', () => {
    const header = param(op('post', '/api/v1/product-image-enhancements'), 'Idempotency-Key');
    expect(header).toMatchObject({ in: 'header', required: true });
    expect(header.schema.pattern).toBe('^[A-Za-z0-9._:-]{8,160}$');
    const pattern = new RegExp(header.schema.pattern);
    expect(pattern.test('order-1042')).toBe(true);
    expect(pattern.test('short')).toBe(false);
    for (const [method, path] of [
      ['get', '/v1/media'],
      ['get', '/api/v1/product-image-enhancements'],
      ['get', '/admin/v1/accounts'],
      ['get', '/admin/v1/accounts/{id}/ledger'],
      ['get', '/admin/v1/webhook-deliveries'],
      ['get', '/admin/v1/outbox'],
    ] as const) {
      const limit = param(op(method, path), 'limit');
      expect(limit, path).toMatchObject({ in: 'query', required: false });
      expect(limit.schema.default, path).toBeTypeOf('number');
    }
    for (const { op } of operations) {
      for (const p of op.parameters ?? []) {
        if (p.in !== 'path' && p.schema?.default !== undefined) expect(p.required, p.name).toBe(false);
      }
    }
  });

  it('documents the multipart upload, the import body and both PATCH bodies field by field', () => {
    const upload = op('post', '/v1/upload').requestBody.content['multipart/form-data'].schema;
    expect(upload.required).toEqual(['file']);
    expect(upload.properties.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(Object.keys(upload.properties)).toEqual(
      expect.arrayContaining(['name', 'tags', 'namespace', 'public', 'ttl', 'date']),
    );
    const imported = op('post', '/v1/import').requestBody.content['application/json'].schema;
    expect(imported.required).toEqual(['url']);
    expect(Object.keys(imported.properties)).toEqual(expect.arrayContaining(['url', 'name', 'tags', 'ttl']));
    for (const path of ['/v1/media', '/v1/media/{id}']) {
      const patch = op('patch', path).requestBody.content['application/json'].schema;
      expect(Object.keys(patch.properties), path).toEqual(
        expect.arrayContaining([
          'name',
          'tags',
          'tag_mode',
          'namespace',
          'public',
          'date',
          'ttl',
          'metadata',
        ]),
      );
    }
  });

  it('declares the rate-limit headers on the responses that carry them, and Retry-After on their 429s', () => {
    for (const [method, path] of [
      ['post', '/v1/keys'],
      ['post', '/v1/upload'],
      ['post', '/v1/import'],
      ['post', '/api/v1/product-image-enhancements'],
      ['get', '/api/v1/product-image-enhancements'],
      ['get', '/api/v1/product-image-enhancements/{id}'],
    ] as const) {
      const responses = op(method, path).responses;
      const success = responses['201'] ?? responses['200'];
      expect(Object.keys(success.headers), path).toEqual(
        expect.arrayContaining(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']),
      );
      expect(Object.keys(responses['429'].headers), path).toContain('Retry-After');
    }
    expect(op('get', '/v1/media').responses['200'].headers).toBeUndefined();
  });

  it('lists each route’s catalog codes in its family’s envelope, with the catalog’s message and handling', () => {
    const codesOf = (operation: Json, status: string): string[] => {
      const schema = operation.responses[status].content['application/json'].schema;
      return schema.properties.error.enum ?? schema.properties.error.properties.code.enum;
    };
    const create = op('post', '/api/v1/product-image-enhancements');
    expect(codesOf(create, '401')).toEqual([
      'missing_api_key',
      'invalid_api_key',
      'api_key_expired',
      'api_key_inactive',
      'api_key_revoked',
    ]);
    expect(codesOf(create, '400')).toEqual(
      expect.arrayContaining(['invalid_payload', 'invalid_webhook_url', 'invalid_idempotency_key']),
    );
    expect(codesOf(create, '429')).toEqual(['rate_limit_exceeded', 'too_many_active_enhancements']);
    // The same failures on a hosting route are the hosting codes (docs/errors.md).
    expect(codesOf(op('get', '/v1/media'), '401')).toEqual(['unauthorized']);
    expect(codesOf(op('get', '/v1/media'), '422')).toEqual(['validation_error']);
    expect(codesOf(op('post', '/v1/import'), '504')).toEqual(['fetch_failed']);
    expect(codesOf(op('post', '/v1/upload'), '403')).toEqual(['forbidden', 'quota_exceeded']);

    // Every catalog code reaches the document somewhere, with its status, message and handling.
    const text = JSON.stringify(doc);
    const md = (s: string) => JSON.stringify(s.replace(/[<>*_]/g, '\\$&')).slice(1, -1);
    // `web` codes come only from the dashboard's own endpoints, which are not part of the public API.
    for (const [code, entry] of Object.entries(catalog)) {
      if (entry.family === 'web') continue;
      expect(text, code).toContain(`\`${code}\`: ${md(entry.message)} *${md(entry.handling)}*`);
    }
    for (const [code, entry] of Object.entries(itemErrorCatalog)) {
      expect(text, code).toContain(`\`${code}\`: ${md(entry.message)} *${md(entry.handling)}*`);
    }
    // Each example is the renderer's own body for that code.
    const examples = op('get', '/v1/media/{id}').responses['404'].content['application/json'].examples;
    expect(examples.not_found.value).toMatchObject({ error: 'not_found', message: 'Not found' });
    expect(hostingRendering('missing_api_key' satisfies ErrorCode).code).toBe('unauthorized');
  });

  it('has examples that are valid against their schemas', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addFormat('binary', true);
    ajv.addSchema(structuredClone(doc), 'openapi.json');
    const pointer = (...parts: string[]) =>
      parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
    let checked = 0;
    const check = (ref: string, value: unknown) => {
      const validate = ajv.getSchema(`openapi.json#/${ref}`);
      if (!validate) throw new Error(`no schema at ${ref}`);
      expect(validate(value), `${ref}: ${JSON.stringify(validate.errors)}`).toBe(true);
      checked++;
    };
    for (const [name, schema] of Object.entries<Json>(doc.components.schemas)) {
      for (const example of schema.examples ?? []) check(pointer('components', 'schemas', name), example);
    }
    for (const { method, path, op } of operations) {
      const media: [string[], Json][] = [];
      for (const [type, content] of Object.entries<Json>(op.requestBody?.content ?? {})) {
        media.push([['paths', path, method, 'requestBody', 'content', type], content]);
      }
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        for (const [type, content] of Object.entries<Json>(response.content ?? {})) {
          media.push([['paths', path, method, 'responses', status, 'content', type], content]);
        }
      }
      for (const [at, content] of media) {
        const schemaRef = pointer(...at, 'schema');
        if (content.example !== undefined) check(schemaRef, content.example);
        for (const example of Object.values<Json>(content.examples ?? {})) check(schemaRef, example.value);
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('is served as YAML too', async () => {
    const response = await server.request('GET', '/openapi.yaml');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(response.text).toMatch(/^openapi: 3\.1\.0$/m);
    for (const { op } of operations) expect(response.text).toContain(`operationId: ${op.operationId}`);
  });
});

describe('the drift check (every test server’s answers against the document)', () => {
  const media = {
    id: 'aB3dE5fG',
    name: 'a.jpg',
    url: 'https://x.test/i/aB3dE5fG',
    src: 'https://x.test/src/t/aB3dE5fG.jpg',
    width: 1,
    height: 1,
    filesize: 10,
    format: 'jpeg',
    namespace: null,
    tags: [],
    public: true,
    date: null,
    metadata: {},
    sizes: { s: 'https://x.test/s', m: 'https://x.test/m', l: 'https://x.test/l' },
    srcset: 'https://x.test/src/t/aB3dE5fG.jpg 1w',
    srcset_auto: 'https://x.test/src/t/aB3dE5fG.auto 1w',
    expires_at: null,
    created_at: 1,
    updated_at: 1,
  };
  const answer = (overrides: Partial<Parameters<ReturnType<typeof openApiChecker>>[0]>) => ({
    method: 'GET',
    route: '/v1/media/:id',
    status: 200,
    headers: [],
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify(media),
    prefersHtml: false,
    ...overrides,
  });

  it('passes a documented answer and names every kind of disagreement', () => {
    const check = openApiChecker(doc);
    expect(check(answer({}))).toEqual([]);
    expect(check(answer({ body: JSON.stringify({ ...media, extra: 1 }) }))?.[0]).toMatch(
      /must NOT have additional properties.*extra/,
    );
    const { name: _name, ...withoutName } = media;
    expect(check(answer({ body: JSON.stringify(withoutName) }))?.[0]).toMatch(/must have required property/);
    expect(check(answer({ status: 418 }))?.[0]).toMatch(/status not documented/);
    expect(check(answer({ contentType: 'text/plain' }))?.[0]).toMatch(
      /content-type text\/plain not documented/,
    );
    expect(check(answer({ headers: ['x-ratelimit-limit'] }))?.[0]).toMatch(/does not declare/);
    // An error page for a browser is the documented exception; JSON clients never get HTML, nor a success.
    const page = { status: 404, contentType: 'text/html; charset=utf-8', body: '<!doctype html>' };
    expect(check(answer({ ...page, prefersHtml: true }))).toEqual([]);
    expect(check(answer(page))?.[0]).toMatch(/content-type text\/html not documented/);
    expect(check(answer({ ...page, status: 200, prefersHtml: true }))?.[0]).toMatch(/not documented/);
    const error = { error: 'not_found', message: 'Media not found', request_id: 'req_1' };
    expect(check(answer({ status: 404, body: JSON.stringify(error) }))).toEqual([]);
    expect(check(answer({ status: 404, body: JSON.stringify({ ...error, error: 'gone' }) }))?.[0]).toMatch(
      /must be equal to one of the allowed values/,
    );
    expect(check(answer({ route: '/openapi.json' }))).toBeNull();
  });

  it('checks the answers of test servers', async () => {
    const before = server.conformance.checked;
    await server.request('GET', '/healthz');
    await server.request('GET', '/v1/media', { key: 'img_live_wrong' });
    // Recorded once each answer is out (onResponse), checked at the next flush.
    await eventually(
      async () => {
        server.conformance.flush();
        return server.conformance.checked;
      },
      (n) => n >= before + 2,
    );
    expect(server.conformance.checked).toBe(before + 2);
    expect(server.conformance.violations).toEqual([]);
  });
});
