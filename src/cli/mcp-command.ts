import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer } from '../mcp/mcp-server.ts';
import { MissingKeyError } from './user/cli-errors.ts';
import { EXIT } from './user/exit-codes.ts';
import { connect } from './user/session.ts';

/**
 * `lightbox mcp`: the MCP tools on stdin/stdout for a local agent, acting on the server and key of the CLI login
 * (or LIGHTBOX_URL / LIGHTBOX_API_KEY). stdout carries the protocol only: every message for people goes to stderr.
 */
export async function runMcp(): Promise<number> {
  let client: Awaited<ReturnType<typeof connect>>['client'];
  try {
    ({ client } = await connect({}, 'required'));
  } catch (error) {
    process.stderr.write(`lightbox mcp: ${(error as Error).message}\n`);
    return error instanceof MissingKeyError ? EXIT.auth : EXIT.usage;
  }
  const server = createMcpServer({ client, transport: 'stdio' });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  process.stderr.write(`lightbox mcp: serving ${client.baseUrl} on stdio\n`);
  await closed;
  await server.close();
  return 0;
}
