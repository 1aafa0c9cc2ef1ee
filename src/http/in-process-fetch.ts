import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * A `fetch` that sends each request through this server's own router (Fastify `inject`), not over a socket: the
 * `/mcp` tools use the public client on it, so they meet exactly the routes, auth, limits and errors of the HTTP
 * API without depending on the public URL being reachable from inside. Each request is tagged with the MCP
 * request's id (`<id>.<n>`) so the log ties them together, and keeps its client address for per-IP limits.
 */
export function inProcessFetch(app: FastifyInstance, outer: FastifyRequest): typeof fetch {
  let sequence = 0;
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    headers['x-request-id'] = `${outer.id}.${++sequence}`;
    const payload = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const answer = await app.inject({
      method: request.method as 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: `${url.pathname}${url.search}`,
      headers,
      remoteAddress: outer.ip,
      ...(payload ? { payload } : {}),
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) responseHeaders.append(name, String(one));
    }
    const empty = answer.statusCode === 204 || answer.statusCode === 304;
    return new Response(empty ? null : new Uint8Array(answer.rawPayload), {
      status: answer.statusCode,
      headers: responseHeaders,
    });
  };
}
