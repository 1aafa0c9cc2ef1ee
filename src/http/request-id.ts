import type { IncomingMessage } from 'node:http';
import { randomBase62 } from '../lib/ids.ts';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,160}$/;

/** Echo a well-formed client `X-Request-Id`; otherwise mint `req_<22 base62>` (docs/api.md §0). */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && CLIENT_ID.test(given)) return given;
  return `req_${randomBase62(22)}`;
}
