import { type Account, findAccount } from '../accounts/accounts-store.ts';
import type { Config } from '../config/config.ts';
import { HOUR_MS, MINUTE_MS } from '../lib/time.ts';
import type { WebSessionsTable } from '../store/database.ts';
import type { Store } from '../store/store.ts';
import { hashSecret, isSecretOf, mintSecret, SESSION_ID_PREFIX } from './secrets.ts';

export interface SessionDeps {
  store: Store;
  config: Pick<Config, 'sessionIdleMinutes' | 'sessionMaxHours'>;
}

export interface OwnerSession {
  /** The raw id (from the cookie); needed to derive the CSRF token, never stored. */
  id: string;
  row: WebSessionsTable;
  account: Account;
}

/** `last_seen_at` is written at most this often, so reading pages does not write a row per request. */
const TOUCH_EVERY_MS = MINUTE_MS;

/**
 * Starts a session for an account owner and returns its id (the cookie value). The session the browser had, if
 * any, is ended first: a sign-in always gets a fresh id (no fixation), whoever held the old one.
 */
export async function startSession(
  deps: SessionDeps,
  input: { accountId: string; replacing?: string | undefined },
  now = Date.now(),
): Promise<string> {
  if (input.replacing) await endSession(deps, input.replacing);
  const id = mintSecret(SESSION_ID_PREFIX);
  await insertSession(
    deps.store,
    {
      idHash: hashSecret(id),
      kind: 'owner',
      accountId: input.accountId,
      maxHours: deps.config.sessionMaxHours,
    },
    now,
  );
  return id;
}

/**
 * The live session behind a cookie value, or null: unknown, idle for longer than LIGHTBOX_SESSION_IDLE_MINUTES,
 * past its absolute expiry, not an owner's (an operator session never opens the dashboard), or its account gone.
 * An expired session is deleted when it is seen.
 */
export async function resolveSession(
  deps: SessionDeps,
  sessionId: unknown,
  now = Date.now(),
): Promise<OwnerSession | null> {
  if (!isSecretOf(SESSION_ID_PREFIX, sessionId)) return null;
  const row = await liveSession(
    deps.store,
    hashSecret(sessionId),
    'owner',
    { idleMinutes: deps.config.sessionIdleMinutes, maxHours: deps.config.sessionMaxHours },
    now,
  );
  if (!row || row.account_id === null) return null;
  const account = await findAccount(deps.store.db, row.account_id);
  if (!account) return null;
  return { id: sessionId, row, account };
}

/** How long a kind of session lives: idle and absolute limits. */
export interface SessionLifetime {
  idleMinutes: number;
  maxHours: number;
}

/** Inserts a session row (owner or operator); `idHash` is how its kind keys the id. */
export async function insertSession(
  store: Store,
  input: { idHash: string; kind: WebSessionsTable['kind']; accountId: string | null; maxHours: number },
  now: number,
): Promise<void> {
  await store.db
    .insertInto('web_sessions')
    .values({
      id_hash: input.idHash,
      kind: input.kind,
      account_id: input.accountId,
      created_at: now,
      last_seen_at: now,
      expires_at: now + input.maxHours * HOUR_MS,
    })
    .execute();
}

/**
 * The row of a live session of `kind`, or null. Idle and absolute expiry are checked here for every kind; an
 * expired row is deleted when seen, and `last_seen_at` is written at most once a minute.
 */
export async function liveSession(
  store: Store,
  idHash: string,
  kind: WebSessionsTable['kind'],
  lifetime: SessionLifetime,
  now: number,
): Promise<WebSessionsTable | null> {
  const row = await store.db
    .selectFrom('web_sessions')
    .selectAll()
    .where('id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row || row.kind !== kind) return null;
  const idleUntil = Number(row.last_seen_at) + lifetime.idleMinutes * MINUTE_MS;
  if (now >= Number(row.expires_at) || now >= idleUntil) {
    await store.db.deleteFrom('web_sessions').where('id_hash', '=', idHash).execute();
    return null;
  }
  if (now - Number(row.last_seen_at) >= TOUCH_EVERY_MS) {
    await store.db
      .updateTable('web_sessions')
      .set({ last_seen_at: now })
      .where('id_hash', '=', idHash)
      .execute();
  }
  return row;
}

/** Signs one browser out. Unknown ids are ignored (signing out twice is fine). */
export async function endSession(deps: Pick<SessionDeps, 'store'>, sessionId: string): Promise<void> {
  if (!isSecretOf(SESSION_ID_PREFIX, sessionId)) return;
  await deps.store.db.deleteFrom('web_sessions').where('id_hash', '=', hashSecret(sessionId)).execute();
}

/** "Sign out everywhere": every session of the account, this one included. Returns how many ended. */
export async function endAllSessions(deps: Pick<SessionDeps, 'store'>, accountId: string): Promise<number> {
  const result = await deps.store.db
    .deleteFrom('web_sessions')
    .where('account_id', '=', accountId)
    .where('kind', '=', 'owner')
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Sessions past their absolute expiry and sign-in links past theirs (maintenance sweep). */
export async function sweepWebSessions(store: Store, now = Date.now()): Promise<number> {
  const sessions = await store.db
    .deleteFrom('web_sessions')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  const tokens = await store.db
    .deleteFrom('web_sign_in_tokens')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(sessions.numDeletedRows) + Number(tokens.numDeletedRows);
}
