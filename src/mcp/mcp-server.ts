import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ENHANCEMENT_TOOLS } from './enhancement-tools.ts';
import { MEDIA_TOOLS } from './media-tools.ts';
import type { McpTool, ToolContext } from './tool-registry.ts';

/** The one tool registry: `lightbox mcp` (stdio) and `/mcp` (Streamable HTTP) both serve exactly these. */
export const MCP_TOOLS: readonly McpTool[] = [...MEDIA_TOOLS, ...ENHANCEMENT_TOOLS];

const INSTRUCTIONS =
  'Lightbox is an image library and product-photo enhancer. Hosting tools (upload_image, import_image, ' +
  'list_media, get_media, update_media, delete_media, rendition_url, usage) manage images and their delivery ' +
  'URLs; enhancement tools (enhancement_presets, create_enhancement, enhancement_status, list_enhancements) cut ' +
  'products out onto white. Errors carry the API family, its code and message; follow `action` when present.';

/** An MCP server whose tools act through `context.client` with the caller's API key. */
export function createMcpServer(context: ToolContext): McpServer {
  const server = new McpServer({ name: 'lightbox', version: '1.0.0' }, { instructions: INSTRUCTIONS });
  for (const tool of MCP_TOOLS) tool.register(server, context);
  return server;
}
