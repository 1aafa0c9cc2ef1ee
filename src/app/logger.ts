import { pino } from 'pino';
import type { Config } from '../config/config.ts';

export type Logger = pino.Logger;

/** JSON lines with the request id; pretty only when asked (LIGHTBOX_LOG_PRETTY=1). */
export function createLogger(config: Pick<Config, 'logLevel' | 'logPretty'>): Logger {
  return pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers.cookie'],
    ...(config.logPretty ? { transport: { target: 'pino-pretty' } } : {}),
  });
}
