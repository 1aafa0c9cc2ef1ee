import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The two bearer secrets of the web: session ids (the cookie) and sign-in link tokens. Each is 256 random bits with
 * a prefix naming what it is, so the log redactor can recognise one anywhere (src/app/redact.ts). Only
 * `hashSecret` of either is ever stored.
 */
export const SESSION_ID_PREFIX = 'lbsess';
export const SIGN_IN_TOKEN_PREFIX = 'lbsign';

const SHAPE = /^(lbsess|lbsign)_[A-Za-z0-9_-]{43}$/;

export const mintSecret = (prefix: typeof SESSION_ID_PREFIX | typeof SIGN_IN_TOKEN_PREFIX): string =>
  `${prefix}_${randomBytes(32).toString('base64url')}`;

/** Whether `value` is shaped like a secret of `prefix`: anything else is refused without a database read. */
export const isSecretOf = (prefix: string, value: unknown): value is string =>
  typeof value === 'string' && SHAPE.test(value) && value.startsWith(`${prefix}_`);

export const hashSecret = (value: string): string => createHash('sha256').update(value).digest('hex');

/**
 * What an operator session's row is keyed by: an HMAC of its id under the admin token. A database copy signs no one
 * in (as with `hashSecret`), and changing LIGHTBOX_ADMIN_TOKEN — the thing to do when it leaked — ends every
 * operator session at once, since no row matches under the new token.
 */
export const hashOperatorSecret = (adminToken: string, value: string): string =>
  createHmac('sha256', adminToken).update(`lightbox/operator-session/v1:${value}`).digest('hex');

/**
 * Whether `given` is the admin token, in constant time: both sides are hashed first, so neither the length nor any
 * prefix of the token shows in the timing. Anything that is not a string is not the token.
 */
export function isAdminToken(adminToken: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
  const expected = createHash('sha256').update(adminToken).digest();
  return timingSafeEqual(createHash('sha256').update(given).digest(), expected);
}

/**
 * The CSRF token of a session (synchronizer token): an HMAC of the session id under a key derived from the server
 * secret. It is tied to the session (another session's token fails), needs no storage, and changes with the
 * session id, so it rotates at sign-in too.
 */
export function createCsrf(serverSecret: string) {
  const key = createHmac('sha256', serverSecret).update('lightbox/web-csrf/v1').digest();
  const tokenOf = (sessionId: string) => createHmac('sha256', key).update(sessionId).digest('base64url');
  return {
    tokenOf,
    /** Constant time; false for anything that is not exactly the session's token. */
    check(sessionId: string, given: unknown): boolean {
      if (typeof given !== 'string' || given.length > 128) return false;
      const expected = Buffer.from(tokenOf(sessionId));
      const actual = Buffer.from(given);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}

export type Csrf = ReturnType<typeof createCsrf>;
