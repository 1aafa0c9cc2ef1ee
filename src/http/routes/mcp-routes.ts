import type { FastifyInstance, FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { authenticate } from '../../accounts/authenticate.ts';
import type { Services } from '../../app/compose.ts';
import { LightboxClient } from '../../client/index.ts';
import { answerMcpRequest } from '../../mcp/mcp-http.ts';
import { inProcessFetch } from '../in-process-fetch.ts';

const MB = 1024 * 1024;
/** The in-process client's origin: only the path reaches the router. */
const IN_PROCESS_ORIGIN = 'http://in-process.lightbox';

/**
 * `/mcp`: the MCP tools over Streamable HTTP (docs/mcp.md), stateless. The key is checked before the body is read
 * (401 without a valid one, as on `/v1`); the tools then call the API in-process with that same key, so each tool
 * call is authorised, limited and logged as the HTTP request it makes.
 */
export const mcpRoutes =
  (services: Services, root: FastifyInstance): FastifyPluginAsync =>
  async (app) => {
    const { config, store } = services;
    const gate: onRequestHookHandler = async (request, reply) => {
      try {
        request.principal = await authenticate(store, config.keyPrefix, request.headers.authorization, {
          requireVerifiedForLive: false,
        });
      } catch (error) {
        reply.header('www-authenticate', 'Bearer realm="lightbox"');
        throw error;
      }
    };

    app.post(
      '/mcp',
      { onRequest: gate, bodyLimit: config.mcpMaxBodyMb * MB, schema: { hide: true } },
      async (request, reply) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(request.headers)) {
          if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        const client = new LightboxClient({
          baseUrl: IN_PROCESS_ORIGIN,
          apiKey: /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1],
          fetch: inProcessFetch(root, request),
          // A wait belongs to the agent (the tool error carries retry_after), not to an open HTTP request.
          maxRetries: 0,
        });
        const answer = await answerMcpRequest({
          request: new Request(`${IN_PROCESS_ORIGIN}/mcp`, { method: 'POST', headers }),
          parsedBody: request.body,
          client,
        });
        reply.status(answer.status);
        answer.headers.forEach((value, name) => {
          reply.header(name, value);
        });
        return reply.send(await answer.text());
      },
    );

    // Stateless: no server-initiated stream to open (GET) and no session to end (DELETE).
    app.route({
      method: ['GET', 'DELETE'],
      url: '/mcp',
      onRequest: gate,
      schema: { hide: true },
      handler: async (_request, reply) =>
        reply
          .status(405)
          .header('allow', 'POST')
          .send({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null }),
    });
  };
