import { normaliseEmail } from '../accounts/accounts-store.ts';
import { type VerificationHook, verifyEmail } from '../accounts/link-actions.ts';
import type { Config } from '../config/config.ts';
import { AppError, validationError } from '../errors/app-error.ts';
import { HOUR_MS, MINUTE_MS } from '../lib/time.ts';
import type { RateDecision, RateLimiter } from '../limiter/limiter.ts';
import { rateHeaders } from '../limiter/rate-headers.ts';
import type { Mailer } from '../mail/mail.ts';
import type { Store } from '../store/store.ts';
import { hashSecret, isSecretOf, mintSecret, SIGN_IN_TOKEN_PREFIX } from './secrets.ts';

/** How long a mailed sign-in link works (docs/web.md). */
export const SIGN_IN_LINK_TTL_MS = 15 * MINUTE_MS;
/** Where a sign-in link leads: a page whose button (POST) spends it. */
export const SIGN_IN_CONTINUE_PATH = '/sign-in/continue';

export interface SignInDeps {
  store: Store;
  limiter: RateLimiter;
  mailer: Mailer;
  config: Pick<Config, 'publicUrl' | 'signInPerEmailPerHour' | 'signInPerIpPerHour'>;
  onEmailVerified?: VerificationHook[];
}

// What a person types as an address: one @, something on each side, no spaces. Mail delivery is the real check.
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/**
 * A path on this server to return to after signing in, or null. Only absolute paths: `//host` and `/\host` would
 * leave the site (an open redirect from a trusted link).
 */
export function safeNextPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 512) return null;
  if (!/^\/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/.test(value)) return null;
  return value;
}

const tooMany = (decision: RateDecision) =>
  new AppError('rate_limit_exceeded', {
    message: 'Too many sign-in requests. Try again later.',
    retryAfter: decision.retryAfter,
    headers: rateHeaders(decision, undefined),
  });

/**
 * Mails a one-time sign-in link to the account with this address, if there is one. Whether there is one is not
 * revealed: the answer is the same either way (no account enumeration). Rate limited per client IP (every request,
 * before anything else) and per address (well-formed requests).
 */
export async function requestSignIn(
  deps: SignInDeps,
  input: { email: unknown; ip: string; next?: unknown },
  now = Date.now(),
): Promise<void> {
  const byIp = await deps.limiter.hit(`signin:ip:${input.ip}`, {
    limit: deps.config.signInPerIpPerHour,
    periodMs: HOUR_MS,
  });
  if (!byIp.allowed) throw tooMany(byIp);
  const raw = typeof input.email === 'string' ? input.email.trim() : '';
  if (!EMAIL.test(raw)) throw validationError({ email: ['Enter an email address like name@example.com'] });
  const email = normaliseEmail(raw);
  const byEmail = await deps.limiter.hit(`signin:email:${email}`, {
    limit: deps.config.signInPerEmailPerHour,
    periodMs: HOUR_MS,
  });
  if (!byEmail.allowed) throw tooMany(byEmail);

  const account = await deps.store.db
    .selectFrom('accounts')
    .select(['id', 'email'])
    .where('email', '=', email)
    .executeTakeFirst();
  if (!account) return;
  const token = mintSecret(SIGN_IN_TOKEN_PREFIX);
  await deps.store.db
    .insertInto('web_sign_in_tokens')
    .values({
      token_hash: hashSecret(token),
      account_id: account.id,
      next_path: safeNextPath(input.next),
      created_at: now,
      expires_at: now + SIGN_IN_LINK_TTL_MS,
      used_at: null,
    })
    .execute();
  const url = `${deps.config.publicUrl}${SIGN_IN_CONTINUE_PATH}?token=${token}`;
  await deps.mailer.send({
    to: account.email,
    subject: 'Sign in to Lightbox',
    text: `Open this link to sign in to your Lightbox dashboard:\n${url}\nIt works once, for ${SIGN_IN_LINK_TTL_MS / MINUTE_MS} minutes. If you did not ask to sign in, ignore this email.`,
    links: [{ rel: 'sign-in', url }],
  });
}

/** What the page of an opened link may show before anything is spent: whether it still works, and for whom. */
export async function peekSignIn(
  deps: Pick<SignInDeps, 'store'>,
  token: unknown,
  now = Date.now(),
): Promise<{ email: string } | null> {
  if (!isSecretOf(SIGN_IN_TOKEN_PREFIX, token)) return null;
  const row = await deps.store.db
    .selectFrom('web_sign_in_tokens')
    .innerJoin('accounts', 'accounts.id', 'web_sign_in_tokens.account_id')
    .select(['accounts.email', 'web_sign_in_tokens.used_at', 'web_sign_in_tokens.expires_at'])
    .where('web_sign_in_tokens.token_hash', '=', hashSecret(token))
    .executeTakeFirst();
  if (!row || row.used_at !== null || Number(row.expires_at) <= now) return null;
  return { email: row.email };
}

/**
 * Spends a sign-in link: exactly one request can (one conditional update), and only within its lifetime. Opening
 * the mailed link proves the mailbox as the verification link does, so the email counts as verified from here.
 * Returns the account and where to go next, or null for a link that is unknown, used or expired.
 */
export async function completeSignIn(
  deps: SignInDeps,
  token: unknown,
  now = Date.now(),
): Promise<{ accountId: string; next: string | null } | null> {
  if (!isSecretOf(SIGN_IN_TOKEN_PREFIX, token)) return null;
  const tokenHash = hashSecret(token);
  const spent = await deps.store.db
    .updateTable('web_sign_in_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) return null;
  const row = await deps.store.db
    .selectFrom('web_sign_in_tokens')
    .select(['account_id', 'next_path'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirstOrThrow();
  await verifyEmail(deps, row.account_id);
  return { accountId: row.account_id, next: safeNextPath(row.next_path) };
}
