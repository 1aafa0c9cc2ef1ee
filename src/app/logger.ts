import { pino } from 'pino';
import type { Config } from '../config/config.ts';
import { REDACTED } from '../lib/log.ts';
import { createRedactor, REDACT_PATHS } from './redact.ts';

export type Logger = pino.Logger;

/** What a request line says about the request: Fastify hands the logger its whole request object. */
interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
}

/** What the logger needs to know: level and format, and the secrets it must keep out of every line. */
export type LoggerConfig = Pick<Config, 'logLevel' | 'logPretty'> &
  Partial<Pick<Config, 'keyPrefix' | 'adminToken' | 'secret' | 's3SecretAccessKey' | 'srcBase'>>;

/**
 * JSON lines with the request id; pretty only when asked (LIGHTBOX_LOG_PRETTY=1). Fastify logs `{ req }` and
 * `{ res }` with every request it answers: without serializers pino would write out the whole request, socket
 * and server objects (kilobytes per line).
 *
 * No secret reaches a line: credential headers are cut by `redact`, the request URL loses its secret query values
 * in the `req` serializer, and every finished line (message, URL, error message and stack, any field) goes through
 * the redactor last (`hooks.streamWrite`), so a key or a link signature quoted in an error message is caught too.
 */
export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  const redact = createRedactor({
    ...(config.keyPrefix ? { keyPrefix: config.keyPrefix } : {}),
    ...(config.srcBase ? { srcPath: new URL(config.srcBase).pathname.replace(/\/$/, '') } : {}),
    literals: [config.adminToken, config.secret, config.s3SecretAccessKey],
  });
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: {
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: req.url === undefined ? undefined : redact(req.url),
        remote_address: req.ip,
      }),
      res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
      err: pino.stdSerializers.err,
    },
    hooks: { streamWrite: redact },
    ...(config.logPretty && !destination ? { transport: { target: 'pino-pretty' } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
