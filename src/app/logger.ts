import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
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
  Partial<
    Pick<Config, 'keyPrefix' | 'adminToken' | 'secret' | 's3SecretAccessKey' | 'srcBase' | 'metricsToken'>
  >;

/**
 * JSON lines with the request id; pretty only when asked (LIGHTBOX_LOG_PRETTY=1): then one line per event too,
 * `time level (request id): message {fields}`, written by pino-pretty in this thread. Fastify logs `{ req }` and
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
    literals: [config.adminToken, config.secret, config.s3SecretAccessKey, config.metricsToken],
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
  };
  const target = destination ?? (config.logPretty ? pino.destination(1) : undefined);
  const stream = config.logPretty && target ? prettyLines(target) : target;
  return stream ? pino(options, stream) : pino(options);
}

/**
 * `time LEVEL: (request id) message {fields as JSON}`, one line per event, errors included (their stack escaped
 * in the JSON rather than pino-pretty's indented block). It formats the JSON line after redaction (`streamWrite`).
 */
function prettyLines(destination: pino.DestinationStream): pino.DestinationStream {
  const prettify = prettyFactory({
    singleLine: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,reqId',
    errorLikeObjectKeys: [],
    messageFormat: '{if reqId}({reqId}) {end}{msg}',
  });
  return { write: (line: string) => destination.write(prettify(line)) };
}
