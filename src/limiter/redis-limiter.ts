import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Log } from '../lib/log.ts';
import {
  gcra,
  LimiterUnavailableError,
  type RateDecision,
  type RateLimiter,
  type RateRule,
} from './limiter.ts';

export interface RedisLimiterOptions {
  /** `LIGHTBOX_REDIS_URL`, used whole: credentials, database number, `rediss:` for TLS. */
  url: string;
  /** Keys are `<prefix>rl:<key>`, so instances can share a server. Default `lightbox:`. */
  prefix?: string;
  /** Upper bound on one `hit`, waiting for a (re)connection included. Default 500 ms. */
  timeoutMs?: number;
  log?: Log;
}

/**
 * GCRA with the arithmetic of `gcra()`, step for step: Lua numbers are doubles like JS numbers, so the same
 * operations in the same order give the same bits. The caller's `now` is used (not TIME) so that both backends
 * decide identically for the same inputs. The stored TAT is written with 17 significant digits because Lua's
 * default number formatting (14 digits) would round fractional emission intervals.
 * Replies `{allowed, stored TAT before this hit or nil}`; the caller rebuilds the decision from the stored TAT.
 */
const GCRA_SCRIPT = `
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local stored = redis.call('GET', KEYS[1])
local interval = period / limit
local tat = now
if stored then tat = math.max(tonumber(stored), now) end
local newTat = tat + interval
if now < newTat - period then
  return {0, stored}
end
redis.call('SET', KEYS[1], string.format('%.17g', newTat), 'PX', math.max(1, math.ceil(newTat - now)))
return {1, stored}
`;
const GCRA_SHA = createHash('sha1').update(GCRA_SCRIPT).digest('hex');

type ScriptReply = [number, string | null];

/**
 * The scale-out limiter: one Lua script per hit, so concurrent hits from any number of processes are serialised
 * by Redis. Fails closed: while Redis is unreachable or slow, `hit` throws `LimiterUnavailableError` within
 * `timeoutMs` and never answers "allowed"; the connection reconnects by itself in the background.
 */
export function createRedisLimiter(options: RedisLimiterOptions): RateLimiter {
  const prefix = options.prefix ?? 'lightbox:';
  if (!prefix) throw new Error('the Redis key prefix must not be empty');
  const timeoutMs = options.timeoutMs ?? 500;
  const log = options.log;
  const redis = new Redis(options.url, {
    // Without these a command sent during an outage waits in ioredis' queue until Redis is back: the request
    // would hang instead of being refused.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1_000),
    // Keep trying forever, at most a second apart, so the limiter recovers soon after Redis does.
    retryStrategy: (times) => Math.min(times * 100, 1_000),
    connectionName: 'lightbox-limiter',
  });
  let closed = false;
  // Set between a failure and the next successful connection: hits then fail at once rather than each waiting
  // out the timeout for a reconnection that is not coming yet.
  let down = false;
  redis.on('error', (error) => {
    if (!down) log?.warn({ err: error }, 'rate limiter: Redis unreachable, refusing rate-limited requests');
    down = true;
  });
  redis.on('close', () => {
    if (!closed) down = true;
  });
  redis.on('ready', () => {
    if (down) log?.info({}, 'rate limiter: Redis reachable again');
    down = false;
  });

  // One waiter per connection attempt, shared by every hit that arrives meanwhile, so a burst of hits does not
  // pile up listeners on the client.
  let readyWait: Promise<void> | undefined;
  function nextReady(): Promise<void> {
    readyWait ??= new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        redis.off('ready', onReady);
        redis.off('error', onFailure);
        redis.off('close', onFailure);
        readyWait = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => settle();
      const onFailure = (error?: Error) => settle(error ?? new Error('Redis connection closed'));
      redis.on('ready', onReady);
      redis.on('error', onFailure);
      redis.on('close', onFailure);
    });
    return readyWait;
  }

  async function connected(): Promise<void> {
    if (redis.status === 'ready') return;
    if (down) throw new Error(`Redis connection is ${redis.status}`);
    // First connection (or a clean reconnect) in progress: worth waiting for, within the hit's deadline.
    await nextReady();
  }

  async function runScript(key: string, rule: RateRule, now: number): Promise<ScriptReply> {
    const args = [1, key, String(now), String(rule.limit), String(rule.periodMs)] as const;
    try {
      return (await redis.evalsha(GCRA_SHA, ...args)) as ScriptReply;
    } catch (error) {
      // After a restart or SCRIPT FLUSH the cache is empty; EVAL loads the script again for the next EVALSHA.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await redis.eval(GCRA_SCRIPT, ...args)) as ScriptReply;
    }
  }

  async function decide(
    key: string,
    rule: RateRule,
    now: number,
    gaveUp: () => boolean,
  ): Promise<RateDecision> {
    await connected();
    // The caller was already refused: spending budget on its behalf now would only penalise the next request.
    if (gaveUp()) throw new Error('hit abandoned');
    const [allowed, stored] = await runScript(`${prefix}rl:${key}`, rule, now);
    const { decision } = gcra(stored === null ? undefined : Number(stored), rule, now);
    // Cannot happen while script and gcra() agree; if they ever drift, refusing beats answering inconsistently.
    if (decision.allowed !== (allowed === 1)) throw new Error('the Redis GCRA script disagrees with gcra()');
    return decision;
  }

  return {
    async hit(key, rule, now = Date.now()) {
      if (closed) throw new LimiterUnavailableError(new Error('rate limiter closed'));
      let timer: NodeJS.Timeout | undefined;
      let expired = false;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          expired = true;
          reject(new Error(`no answer from Redis within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([decide(key, rule, now, () => expired), deadline]);
      } catch (error) {
        throw new LimiterUnavailableError(error);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (redis.status === 'ready') {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          redis.quit().catch(() => {}),
          new Promise((resolve) => {
            timer = setTimeout(resolve, timeoutMs);
          }),
        ]);
        clearTimeout(timer);
      }
      redis.disconnect();
    },
  };
}
