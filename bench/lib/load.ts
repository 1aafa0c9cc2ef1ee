// autocannon runs with a path per request (so every request can be a distinct rendition), bounded in time.
import { createRequire } from 'node:module';

interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  latency: { p50: number; p99: number; average: number; max: number };
  requests: { total: number; average: number };
}

interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
}

interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  stop(): void;
  on(event: 'response', listener: (...args: unknown[]) => void): void;
}

type Autocannon = (options: Record<string, unknown>) => AutocannonInstance;

// autocannon ships no types and is CommonJS.
const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

// autocannon appends every response body to a JS string (`req.body += chunk`), i.e. UTF-8-decodes each image:
// ~1 ms of client CPU per 50 KB body, which on this 2-core machine makes the load generator the bottleneck of a
// cached-image benchmark. Nothing here reads bodies (no verifyBody/expectBody/onResponse), and byte counts are
// kept separately (addByteCount), so the accumulation is switched off.
const queue = require('autocannon/lib/pipelinedRequestsQueue.js') as {
  prototype: { addBody(data: Buffer): void };
};
queue.prototype.addBody = () => {};

export interface LoadResult {
  /** 2xx responses. */
  ok: number;
  failed: number;
  durationS: number;
  /** 2xx responses per second over the run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

export async function runLoad(options: {
  url: string;
  connections: number;
  /** Stop after this many seconds… */
  durationS: number;
  /** …or after this many requests, whichever the run is given (amount wins in autocannon). */
  amount?: number;
  nextPath: () => string;
  /** Called for every response (e.g. to sample memory by progress). */
  onResponse?: () => void;
  /** Hard limit for the whole run, whatever happens. */
  limitS?: number;
}): Promise<LoadResult> {
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationS,
    ...(options.amount ? { amount: options.amount } : {}),
    timeout: 120,
    requests: [
      {
        method: 'GET',
        setupRequest: (request: AutocannonRequest) => {
          request.path = options.nextPath();
          return request;
        },
      },
    ],
  });
  if (options.onResponse) instance.on('response', options.onResponse);
  const limitMs = (options.limitS ?? options.durationS * 3 + 60) * 1000;
  const timer = setTimeout(() => instance.stop(), limitMs);
  try {
    const result = await instance;
    const ok = result['2xx'];
    return {
      ok,
      failed: result.non2xx + result.errors + result.timeouts,
      durationS: result.duration,
      rps: ok / result.duration,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
    };
  } finally {
    clearTimeout(timer);
  }
}
