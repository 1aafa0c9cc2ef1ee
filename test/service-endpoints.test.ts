import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('service endpoints', () => {
  it('/healthz answers while the process is up', async () => {
    const response = await server.request('GET', '/healthz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('/readyz checks every backend and says which one fails', async () => {
    const ready = await server.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { store: 'ok', blobs: 'ok', queue: 'ok' } });
    const ping = server.services.blobs.ping;
    server.services.blobs.ping = async () => {
      throw new Error('disk gone');
    };
    try {
      const failing = await server.request('GET', '/readyz');
      expect(failing.status).toBe(503);
      expect(failing.body).toEqual({
        status: 'not_ready',
        checks: { store: 'ok', blobs: 'failing', queue: 'ok' },
      });
      expect(failing.text).not.toContain('disk gone');
    } finally {
      server.services.blobs.ping = ping;
    }
  });

  it('/openapi.json describes the routes from their schemas', async () => {
    const response = await server.request('GET', '/openapi.json');
    expect(response.status).toBe(200);
    const spec = response.body;
    expect(spec.openapi).toMatch(/^3\./);
    for (const path of [
      '/v1/keys',
      '/v1/upload',
      '/v1/import',
      '/v1/media',
      '/v1/media/{id}',
      '/v1/usage',
      '/api/v1/product-image-enhancements',
      '/api/v1/product-image-enhancements/{id}',
      '/api/v1/product-image-enhancement-presets',
      '/admin/v1/accounts',
    ]) {
      expect(spec.paths, path).toHaveProperty([path]);
    }
    const create = spec.paths['/api/v1/product-image-enhancements'].post;
    const body = create.requestBody.content['application/json'].schema;
    expect(body.required).toContain('images');
    expect(body.properties.images.maxItems).toBe(20);
    expect(spec.paths['/v1/keys'].post.requestBody.content['application/json'].schema.required).toEqual([
      'email',
    ]);
  });
});
