import { pino } from 'pino';
import type { Config } from '../config/config.ts';

export type Logger = pino.Logger;

/** What a request line says about the request: Fastify hands the logger its whole request object. */
interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
}

/**
 * JSON lines with the request id; pretty only when asked (LIGHTBOX_LOG_PRETTY=1). Fastify logs `{ req }` and
 * `{ res }` with every request it answers: without serializers pino would write out the whole request, socket
 * and server objects (kilobytes per line).
 */
export function createLogger(
  config: Pick<Config, 'logLevel' | 'logPretty'>,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers.cookie'],
    serializers: {
      req: (req: LoggedRequest) => ({ method: req.method, url: req.url, remote_address: req.ip }),
      res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
      err: pino.stdSerializers.err,
    },
    ...(config.logPretty && !destination ? { transport: { target: 'pino-pretty' } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
