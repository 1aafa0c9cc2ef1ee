import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../app/compose.ts';
import {
  ASSET_PREFIX,
  REFERENCE_CSP,
  REFERENCE_PATH,
  referenceAsset,
  referencePage,
} from '../reference/api-reference.ts';
import { llmsFullTxt, llmsTxt, type OpenApiDocument } from '../reference/llms-txt.ts';

/** The API guide the full text includes; absent from an installation without `docs/`, the rest still works. */
const API_GUIDE = new URL('../../../docs/api.md', import.meta.url);

const TEXT_HEADERS = {
  'content-type': 'text/plain; charset=utf-8',
  'cache-control': 'public, max-age=300',
  'x-content-type-options': 'nosniff',
};

/**
 * Reference docs served by the server: `/docs/api` (Swagger UI on `/openapi.json`, its files from this server),
 * `/llms.txt` and `/llms-full.txt`. Not in the OpenAPI document: they describe it.
 */
export const referenceRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const links = { base: services.config.publicUrl, keyPrefix: services.config.keyPrefix };
    const hidden = { schema: { hide: true } };
    let texts: Promise<{ index: string; full: string }> | undefined;
    const llms = () => {
      texts ??= (async () => {
        // Read as plain JSON (the generators know the parts of the document they use).
        const document: OpenApiDocument = JSON.parse(JSON.stringify(app.swagger()));
        const apiGuide = await readFile(API_GUIDE, 'utf8').catch(() => undefined);
        return { index: llmsTxt(document, links), full: llmsFullTxt(document, links, apiGuide) };
      })();
      return texts;
    };

    app.get(REFERENCE_PATH, hidden, async (_request, reply) =>
      reply
        .headers({
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-cache',
          'content-security-policy': REFERENCE_CSP,
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'referrer-policy': 'same-origin',
        })
        .send(
          referencePage({
            title: 'Lightbox API reference',
            specUrl: '/openapi.json',
            llmsUrl: '/llms.txt',
          }),
        ),
    );

    app.get<{ Params: { name: string } }>(`${ASSET_PREFIX}:name`, hidden, async (request, reply) => {
      const asset = await referenceAsset(request.params.name);
      if (!asset) return reply.callNotFound();
      reply.headers({
        'content-type': asset.type,
        'cache-control': 'public, max-age=31536000, immutable',
        etag: asset.etag,
        vary: 'Accept-Encoding',
        'x-content-type-options': 'nosniff',
      });
      if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
      if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
        return reply.header('content-encoding', 'gzip').send(asset.gzipped);
      }
      return reply.send(asset.body);
    });

    app.get('/llms.txt', hidden, async (_request, reply) =>
      reply.headers(TEXT_HEADERS).send((await llms()).index),
    );
    app.get('/llms-full.txt', hidden, async (_request, reply) =>
      reply.headers(TEXT_HEADERS).send((await llms()).full),
    );
  };
