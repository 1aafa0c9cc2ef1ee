import { REDACTED, redactQuerySecrets } from '../lib/log.ts';

export interface RedactionOptions {
  /** LIGHTBOX_KEY_PREFIX: keys of this prefix are redacted whatever their length (a truncated key is still one). */
  keyPrefix?: string;
  /**
   * Configured secrets (admin token, LIGHTBOX_SECRET, S3 secret key): redacted wherever they appear verbatim. Values
   * shorter than 8 characters are ignored, so a silly setting cannot blank out ordinary words.
   */
  literals?: readonly (string | undefined | null)[];
  /**
   * Path of `src` URLs (`/src`): the media token after it is the capability of a private image, so it is cut
   * (`/src/[redacted]/<id>.<ext>`); the id still says which image. Empty (src at a host's root): not applied.
   */
  srcPath?: string;
}

/** Header names whose values are credentials, as pino `redact` paths for the objects Lightbox logs. */
const SECRET_HEADERS = ['authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-csrf-token'] as const;

export const REDACT_PATHS: string[] = ['req.headers', 'res.headers', 'headers', 'request.headers'].flatMap(
  (base) => SECRET_HEADERS.map((name) => `${base}["${name}"]`),
);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A JSON string's contents as they appear inside a serialized line. */
const jsonEscaped = (text: string) => JSON.stringify(text).slice(1, -1);

// Any `<prefix>_live_…` / `<prefix>_test_…` of 16+ base62 characters, whatever the prefix (a key minted before
// LIGHTBOX_KEY_PREFIX changed is still a key).
const ANY_API_KEY = /(?<![0-9A-Za-z])([a-z][a-z0-9]{1,15})_(live|test)_[0-9A-Za-z]{16,}/g;
// Generated admin tokens (`lbadm_` + base64url).
const ADMIN_TOKEN = /(?<![0-9A-Za-z])lbadm_[0-9A-Za-z_-]+/g;
// Web session ids (the session cookie) and sign-in link tokens (src/sessions/secrets.ts).
const WEB_SECRET = /(?<![0-9A-Za-z])(lbsess|lbsign)_[0-9A-Za-z_-]+/g;
// Credentials after an auth scheme; `Basic` only before base64, so "Basic plan" stays readable.
const BEARER = /\b(bearer)(\s+)[^\s"',;\\]+/gi;
const BASIC = /\b(Basic)(\s+)[A-Za-z0-9+/]{8,}={0,2}/g;
// `scheme://user:password@host` (database, Redis and SMTP URLs in error messages).
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@"'\\]*:)[^\s/@"'\\]+@/gi;
// Structured fields named like a credential, at any depth of a JSON line.
const SECRET_FIELD =
  /"(authorization|cookie|set-cookie|x-api-key|x-csrf-token|csrf|session_id|api_key|apikey|password|passwd|secret|client_secret|admin_token|access_token|refresh_token)":"(?:[^"\\]|\\.)*"/gi;

/**
 * One function that takes any text bound for the log (a whole JSON line, a message, a URL, an error stack) and
 * returns it with every secret Lightbox knows the shape of replaced by `[redacted]`. Pure: the same text and
 * options always give the same result, and text without secrets comes back unchanged.
 */
export function createRedactor(options: RedactionOptions = {}): (text: string) => string {
  const literals = [
    ...new Set(
      (options.literals ?? [])
        .filter((value): value is string => typeof value === 'string' && value.length >= 8)
        .flatMap((value) => [value, jsonEscaped(value)]),
    ),
  ].sort((a, b) => b.length - a.length);
  const prefixed = options.keyPrefix
    ? new RegExp(`(?<![0-9A-Za-z])(${escapeRegExp(options.keyPrefix)})_(live|test)_[0-9A-Za-z]+`, 'g')
    : null;

  // A media token is 16 characters (12 random bytes, `newMediaToken`); shorter segments are left alone, so a stack
  // trace's `…/src/operations/system-status.ts` keeps its folder (no folder of the sources is that long).
  const srcToken = options.srcPath
    ? new RegExp(`(${escapeRegExp(options.srcPath)}/)[0-9A-Za-z_-]{16,}(?=/)`, 'g')
    : null;

  return (text) => {
    let out = text;
    if (srcToken) out = out.replace(srcToken, `$1${REDACTED}`);
    for (const literal of literals) if (out.includes(literal)) out = out.split(literal).join(REDACTED);
    if (prefixed) out = out.replace(prefixed, `$1_$2_${REDACTED}`);
    out = out
      .replace(ANY_API_KEY, `$1_$2_${REDACTED}`)
      .replace(ADMIN_TOKEN, `lbadm_${REDACTED}`)
      .replace(WEB_SECRET, `$1_${REDACTED}`)
      .replace(BEARER, `$1$2${REDACTED}`)
      .replace(BASIC, `$1$2${REDACTED}`)
      .replace(URL_PASSWORD, `$1${REDACTED}@`)
      .replace(SECRET_FIELD, `"$1":"${REDACTED}"`);
    return redactQuerySecrets(out);
  };
}
