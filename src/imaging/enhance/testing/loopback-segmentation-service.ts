// A stand-in segmentation service on 127.0.0.1 and a plain fetch for it, for the tests and the benchmark.
// Production wires `httpFetch` to the safe fetcher, which refuses loopback; this one refuses anything else.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpFetch } from '../enhance-types.ts';

export interface LoopbackService {
  readonly url: string;
  /** Bodies received, in order. */
  readonly requests: Buffer[];
  close(): Promise<void>;
}

/** `reply` gets the request body and its index (0 for the first request). */
export type ServiceReply = (body: Buffer, index: number, response: ServerResponse) => void | Promise<void>;

export async function startLoopbackService(reply: ServiceReply): Promise<LoopbackService> {
  const requests: Buffer[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push(body);
      Promise.resolve(reply(body, requests.length - 1, response)).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/segment`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** POST with the global fetch, to loopback only. A timeout rejects with a `TimeoutError`. */
export const loopbackFetch: HttpFetch = async (url, body, contentType, timeoutMs) => {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`loopbackFetch refuses ${url}`);
  const response = await fetch(url, {
    method: 'POST',
    body: new Uint8Array(body),
    headers: { 'content-type': contentType },
    signal: AbortSignal.timeout(timeoutMs),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: Buffer.from(await response.arrayBuffer()),
  };
};
