import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { LightboxClient } from '../client/index.ts';
import { createMcpServer } from './mcp-server.ts';

/**
 * One Streamable HTTP exchange of `/mcp`, stateless: a server and transport per request (no session to keep or
 * share between processes), answering JSON rather than opening a stream. The tools act through `client`, which
 * carries the caller's key.
 */
export async function answerMcpRequest(input: {
  request: Request;
  parsedBody: unknown;
  client: LightboxClient;
}): Promise<Response> {
  const server = createMcpServer({ client: input.client, transport: 'http' });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(input.request, { parsedBody: input.parsedBody });
  } finally {
    await server.close();
  }
}
