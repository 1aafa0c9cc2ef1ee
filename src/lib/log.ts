/** The slice of a pino logger domain code uses, so it does not depend on the HTTP framework. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What a redacted value reads as in a log line. */
export const REDACTED = '[redacted]';

/**
 * Query parameters whose values are credentials or capabilities: API keys sent in the URL (refused, but sent all
 * the same), signed-link tokens and signatures (`t`, `sig`), sign-in link tokens (`token`), CSRF tokens, and the
 * usual names of passwords and tokens. `s`, the
 * signature of a `src` transform, is not among them: signed `src` URLs are published in pages by design.
 */
const SECRET_QUERY_PARAMS = [
  'api_key',
  'apikey',
  'key',
  'access_token',
  'refresh_token',
  'token',
  't',
  'sig',
  'signature',
  'secret',
  'client_secret',
  'password',
  'passwd',
  'confirm',
  'csrf',
] as const;

// After `?`, `&` or `;`, so `monkey=` or `size=s` never match; the value stops where a URL or a JSON string would.
const SECRET_PARAM = new RegExp(`([?&;](?:${SECRET_QUERY_PARAMS.join('|')})=)[^&#;\\s"'<>\\\\]+`, 'gi');

/** `text` with the value of every secret query parameter (anywhere in it, any number of URLs) replaced. */
export function redactQuerySecrets(text: string): string {
  return text.replace(SECRET_PARAM, `$1${REDACTED}`);
}
