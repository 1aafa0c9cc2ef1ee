import type { Config } from '../config/config.ts';
import { AppError } from '../errors/app-error.ts';
import { HOUR_MS } from '../lib/time.ts';
import type { RateLimiter } from '../limiter/limiter.ts';
import { rateHeaders } from '../limiter/rate-headers.ts';
import type { WebSessionsTable } from '../store/database.ts';
import type { Store } from '../store/store.ts';
import { hashOperatorSecret, isAdminToken, isSecretOf, mintSecret, SESSION_ID_PREFIX } from './secrets.ts';
import { insertSession, liveSession } from './sessions.ts';

/**
 * Operator sessions (docs/web.md, "Operator pages"): the operator types the admin token once into `/admin/sign-in`
 * and gets a server-side session of kind `operator` in the same table as owners' sessions, with no account. The
 * token itself is never stored, set in a cookie or shown: the session id is a fresh `lbsess_` secret, and its row is
 * keyed by an HMAC under the admin token, so rotating the token ends every operator session.
 */
export interface OperatorDeps {
  store: Store;
  limiter: RateLimiter;
  adminToken: string;
  config: Pick<Config, 'adminSignInPerIpPerHour' | 'adminSessionIdleMinutes' | 'adminSessionMaxHours'>;
}

export interface OperatorSession {
  /** The raw id (from the cookie); needed to derive the CSRF token, never stored. */
  id: string;
  row: WebSessionsTable;
}

const lifetime = (config: OperatorDeps['config']) => ({
  idleMinutes: config.adminSessionIdleMinutes,
  maxHours: config.adminSessionMaxHours,
});

/**
 * Checks the admin token typed into the sign-in form and starts an operator session; returns its id. Every attempt
 * counts against the per-IP limit before the token is looked at, so guessing costs the guesser the limit and
 * learns nothing from the answer's timing. The browser's previous operator session, if any, ends first (rotation).
 */
export async function signInOperator(
  deps: OperatorDeps,
  input: { token: unknown; ip: string; replacing?: string | undefined },
  now = Date.now(),
): Promise<string> {
  const decision = await deps.limiter.hit(`opsignin:ip:${input.ip}`, {
    limit: deps.config.adminSignInPerIpPerHour,
    periodMs: HOUR_MS,
  });
  if (!decision.allowed) {
    throw new AppError('rate_limit_exceeded', {
      message: 'Too many operator sign-in attempts from this address. Try again later.',
      retryAfter: decision.retryAfter,
      headers: rateHeaders(decision, undefined),
    });
  }
  if (!isAdminToken(deps.adminToken, input.token)) {
    throw new AppError('invalid_api_key', { message: 'That is not the admin token of this server.' });
  }
  if (input.replacing) await endOperatorSession(deps, input.replacing);
  const id = mintSecret(SESSION_ID_PREFIX);
  await insertSession(
    deps.store,
    {
      idHash: hashOperatorSecret(deps.adminToken, id),
      kind: 'operator',
      accountId: null,
      maxHours: deps.config.adminSessionMaxHours,
    },
    now,
  );
  return id;
}

/**
 * The live operator session behind a cookie value, or null: unknown, of another kind (an owner's session never
 * opens an operator page), started under another admin token, idle or past its absolute expiry.
 */
export async function resolveOperatorSession(
  deps: Pick<OperatorDeps, 'store' | 'adminToken' | 'config'>,
  sessionId: unknown,
  now = Date.now(),
): Promise<OperatorSession | null> {
  if (!isSecretOf(SESSION_ID_PREFIX, sessionId)) return null;
  const idHash = hashOperatorSecret(deps.adminToken, sessionId);
  const row = await liveSession(deps.store, idHash, 'operator', lifetime(deps.config), now);
  return row && { id: sessionId, row };
}

/** Signs this browser's operator session out. Unknown ids are ignored. */
export async function endOperatorSession(
  deps: Pick<OperatorDeps, 'store' | 'adminToken'>,
  sessionId: string,
): Promise<void> {
  if (!isSecretOf(SESSION_ID_PREFIX, sessionId)) return;
  await deps.store.db
    .deleteFrom('web_sessions')
    .where('id_hash', '=', hashOperatorSecret(deps.adminToken, sessionId))
    .where('kind', '=', 'operator')
    .execute();
}

/** Every operator session, on every device (this one included); owners' sessions are untouched. */
export async function endAllOperatorSessions(deps: Pick<OperatorDeps, 'store'>): Promise<number> {
  const result = await deps.store.db
    .deleteFrom('web_sessions')
    .where('kind', '=', 'operator')
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
