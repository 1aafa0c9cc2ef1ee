// Helpers for the fetcher's own tests (not imported by production code).

import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createServer as createNetServer,
  isIP,
  type LookupFunction,
  type Server as NetServer,
  Socket,
} from 'node:net';
import type { Resolver } from './resolver.ts';

/** A resolver answering from a table; never touches DNS. A function answer sees the call number (0-based). */
export type StubAnswer = readonly string[] | ((call: number) => readonly string[]) | Error;

export interface StubResolver extends Resolver {
  readonly calls: string[];
}

export function stubResolver(table: Readonly<Record<string, StubAnswer>>): StubResolver {
  const calls: string[] = [];
  const perName = new Map<string, number>();
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const call = perName.get(hostname) ?? 0;
    perName.set(hostname, call + 1);
    const answer = table[hostname];
    if (answer === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    }
    if (answer instanceof Error) throw answer;
    const addresses = typeof answer === 'function' ? answer(call) : answer;
    return addresses.map((address) => ({ address, family: isIP(address) }));
  };
  return Object.assign(resolve, { calls });
}

const isLoopback = (address: string): boolean =>
  /^127\.\d+\.\d+\.\d+$/.test(address) || address === '::1' || /^::ffff:127\./i.test(address);

interface ConnectTarget {
  host?: string;
  path?: string;
  lookup?: LookupFunction;
}

function targetOf(args: readonly unknown[]): ConnectTarget | undefined {
  const [first, second] = args;
  if (Array.isArray(first)) return first[0] as ConnectTarget; // net's pre-normalised arguments
  if (typeof first === 'object' && first !== null) return first as ConnectTarget;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { host: typeof second === 'string' ? second : 'localhost' };
  }
  if (typeof first === 'string') return { path: first };
  return undefined;
}

/**
 * Belt and braces for "tests never send traffic off loopback": every TCP connect in this process
 * must go to 127.0.0.0/8 or ::1, either as a literal or through a custom lookup (the fetcher's
 * pinned one) whose answers are loopback. A connect by name without a custom lookup would query
 * real DNS and is refused too. Violations are recorded so a test cannot pass by the refusal alone.
 */
export function installLoopbackGuard(): { readonly violations: string[]; restore(): void } {
  const violations: string[] = [];
  const original = Socket.prototype.connect;
  const guarded = function (this: Socket, ...args: unknown[]) {
    const target = targetOf(args);
    if (target && target.path === undefined) {
      const host = target.host ?? 'localhost';
      if (isIP(host) !== 0) {
        if (!isLoopback(host)) {
          violations.push(`connect to ${host}`);
          throw new Error(`loopback guard: connect to ${host} refused`);
        }
      } else if (target.lookup === undefined) {
        violations.push(`connect by name ${host} without a pinned lookup`);
        throw new Error(`loopback guard: DNS lookup of ${host} refused`);
      } else {
        const lookup = target.lookup;
        target.lookup = (hostname, options, callback) =>
          lookup(hostname, options, (error, address, family) => {
            const answers = Array.isArray(address) ? address.map((entry) => entry.address) : [address];
            const outside = error ? [] : answers.filter((answer) => !isLoopback(answer));
            if (outside.length > 0) {
              violations.push(`connect to ${outside.join(', ')} for ${hostname}`);
              callback(new Error(`loopback guard: ${outside.join(', ')} refused`), '', 0);
              return;
            }
            callback(error, address, family);
          });
      }
    }
    return (original as (...rest: unknown[]) => Socket).apply(this, args);
  };
  Socket.prototype.connect = guarded as typeof original;
  return {
    violations,
    restore: () => {
      Socket.prototype.connect = original;
    },
  };
}

export interface TestServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` (or the given host). */
  readonly origin: string;
  /** Request paths in arrival order (http servers), or one entry per connection (raw servers). */
  readonly hits: string[];
  close(): Promise<void>;
}

export async function startHttpServer(handler: RequestListener, host = '127.0.0.1'): Promise<TestServer> {
  const hits: string[] = [];
  const server: Server = createServer((request, response) => {
    hits.push(request.url ?? '');
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://${host}:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TCP server on loopback that writes whatever the test wants, for responses node:http would not produce. */
export async function startRawServer(onConnection: (socket: Socket) => void): Promise<TestServer> {
  const hits: string[] = [];
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((socket) => {
    hits.push('connection');
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const PNG_BYTES = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);
export const JPEG_BYTES = Buffer.from([
  0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1,
]);
export const WEBP_BYTES = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([36, 0, 0, 0]),
  Buffer.from('WEBPVP8 '),
]);
export const GIF_BYTES = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00', 'latin1');
