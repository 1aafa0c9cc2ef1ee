import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import {
  LightboxApiError,
  type LightboxClient,
  LightboxError,
  LightboxNetworkError,
  LightboxTimeoutError,
} from '../client/index.ts';

/** `stdio`: `lightbox mcp` on the user's machine; `http`: `/mcp` on the server. */
export type McpTransportKind = 'stdio' | 'http';

export interface ToolContext {
  client: LightboxClient;
  transport: McpTransportKind;
}

/** One entry of the registry: registers itself on a server for a transport. */
export interface McpTool {
  name: string;
  register(server: McpServer, context: ToolContext): void;
}

interface ToolDefinition<Shape extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: Shape;
  /** Fields offered on stdio only (reading a local path makes no sense on the server). */
  stdioOnly?: readonly (keyof Shape & string)[];
  annotations: ToolAnnotations;
  run(args: z.infer<z.ZodObject<Shape>>, context: ToolContext): Promise<unknown>;
}

/** A tool of the registry; its answer is sent as JSON text and as structured content. */
export function defineTool<Shape extends z.ZodRawShape>(definition: ToolDefinition<Shape>): McpTool {
  return {
    name: definition.name,
    register(server, context) {
      const hidden = new Set<string>(context.transport === 'stdio' ? [] : (definition.stdioOnly ?? []));
      const input: z.ZodRawShape = Object.fromEntries(
        Object.entries(definition.input).filter(([name]) => !hidden.has(name)),
      );
      server.registerTool(
        definition.name,
        {
          title: definition.title,
          description: definition.description,
          inputSchema: input,
          annotations: { title: definition.title, ...definition.annotations },
        },
        async (args: Record<string, unknown>) => {
          try {
            const result = await definition.run(args as z.infer<z.ZodObject<Shape>>, context);
            return success(result);
          } catch (error) {
            return failure(error);
          }
        },
      );
    },
  };
}

/** A wrong combination of arguments, reported as a tool error with code `invalid_arguments`. */
export class ToolInputError extends Error {}

function success(result: unknown): CallToolResult {
  const structured =
    result !== null && typeof result === 'object' && !Array.isArray(result)
      ? { structuredContent: result as Record<string, unknown> }
      : {};
  return { content: [{ type: 'text', text: JSON.stringify(result, null, 2) }], ...structured };
}

/**
 * Failures become tool errors (`isError`), never protocol errors, so the model reads them: the family, the wire code
 * and message, and what the server suggests (`action`, `retry_after`, field `errors`).
 */
function failure(error: unknown): CallToolResult {
  const detail = errorDetail(error);
  const text = `${detail.code}: ${detail.message}`;
  return {
    isError: true,
    content: [{ type: 'text', text: `${text}\n${JSON.stringify({ error: detail }, null, 2)}` }],
    structuredContent: { error: detail },
  };
}

function errorDetail(error: unknown): Record<string, unknown> & { code: string; message: string } {
  if (error instanceof LightboxApiError) {
    const optional = {
      ...(error.action ? { action: error.action } : {}),
      ...(error.usage ? { usage: error.usage } : {}),
      ...(error.errors ? { errors: error.errors } : {}),
      ...(error.retry_after !== null ? { retry_after: error.retry_after } : {}),
    };
    return {
      family: error.family,
      status: error.status,
      code: error.code,
      message: error.message,
      request_id: error.request_id,
      ...optional,
    };
  }
  if (error instanceof LightboxNetworkError) return { code: 'network_error', message: error.message };
  if (error instanceof LightboxTimeoutError) return { code: 'timeout', message: error.message };
  if (error instanceof LightboxError) return { code: 'client_error', message: error.message };
  if (error instanceof ToolInputError || error instanceof RangeError || error instanceof TypeError) {
    return { code: 'invalid_arguments', message: error.message };
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    return { code: 'file_unreadable', message: (error as Error).message };
  }
  // A defect, not something the caller can act on: no internal detail in the answer.
  return { code: 'internal_error', message: 'The tool failed unexpectedly.' };
}
