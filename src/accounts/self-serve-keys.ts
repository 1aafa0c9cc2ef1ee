import type { Config } from '../config/config.ts';
import { AppError } from '../errors/app-error.ts';
import { HOUR_MS } from '../lib/time.ts';
import type { RateDecision, RateLimiter } from '../limiter/limiter.ts';
import { rateHeaders } from '../limiter/rate-headers.ts';
import type { Mailer } from '../mail/mail.ts';
import type { Store } from '../store/store.ts';
import { countActiveKeys, ensureAccount, insertKey, normaliseEmail } from './accounts-store.ts';
import type { Environment } from './api-key-format.ts';
import { planNamed } from './plans.ts';
import type { SignedLinks } from './signed-links.ts';
import { verificationMail } from './verification-mail.ts';

export interface SelfServeDeps {
  config: Pick<
    Config,
    | 'keyPrefix'
    | 'defaultPlan'
    | 'plans'
    | 'unverifiedMaxKeys'
    | 'keysPerEmailPerHour'
    | 'keysPerIpPerHour'
    | 'dashboardUrl'
    | 'unverifiedRetentionDays'
  >;
  store: Store;
  limiter: RateLimiter;
  mailer: Mailer;
  links: SignedLinks;
}

export interface SelfServeResult {
  body: {
    key: string;
    key_id: string;
    status: 'active' | 'pending_approval';
    verified: boolean;
    limits: { uploads: number; storage_mb: number; retention_days: number | null };
    message: string;
  };
  rate: RateDecision;
}

/** `POST /v1/keys` (docs/api.md §2.1): anyone who knows an email may ask; what they get depends on the account. */
export async function requestKey(
  deps: SelfServeDeps,
  input: { email: string; name: string; environment: Environment; ipRate: RateDecision },
): Promise<SelfServeResult> {
  const email = normaliseEmail(input.email);
  const rate = await checkKeyEmailRate(deps, email, input.ipRate);
  const { config, store } = deps;

  const outcome = await store.transaction(async (tx) => {
    const { account: fresh, created } = await ensureAccount(tx, { email, plan: config.defaultPlan });
    // Serialise key creation per account so the active-key cap holds under concurrent requests (PostgreSQL).
    const account = await store
      .forUpdate(tx.selectFrom('accounts').selectAll().where('id', '=', fresh.id))
      .executeTakeFirstOrThrow();

    if (!account.email_verified) {
      if (!created && (await countActiveKeys(tx, account.id)) >= config.unverifiedMaxKeys) {
        return { kind: 'limit' as const, account };
      }
      const minted = await insertKey(tx, {
        prefix: config.keyPrefix,
        accountId: account.id,
        environment: input.environment,
        name: input.name,
        status: 'active',
      });
      return { kind: 'created' as const, account, minted, created };
    }
    if (account.registration_policy === 'closed') return { kind: 'closed' as const, account };
    const minted = await insertKey(tx, {
      prefix: config.keyPrefix,
      accountId: account.id,
      environment: input.environment,
      name: input.name,
      status: account.registration_policy === 'open' ? 'active' : 'pending_approval',
    });
    return { kind: 'created' as const, account, minted, created };
  });

  if (outcome.kind === 'limit') {
    throw new AppError('key_limit_reached', {
      message: `Unverified accounts can have ${config.unverifiedMaxKeys} active keys. Verify your email to create more.`,
      action: {
        type: 'verify',
        url: deps.links.create({ purpose: 'verify-request', subject: outcome.account.id }),
        label: 'Verify email to remove limit',
      },
      headers: rateHeaders(rate),
    });
  }
  if (outcome.kind === 'closed') {
    throw new AppError('registration_closed', {
      action: { type: 'redirect', url: config.dashboardUrl, label: 'Request key from dashboard' },
      headers: rateHeaders(rate),
    });
  }

  const { account, minted, created } = outcome;
  const verified = account.email_verified === 1;
  const pending = minted.row.status === 'pending_approval';
  if (created) await deps.mailer.send(verificationMail(deps.links, account));
  if (pending) {
    const url = deps.links.create({ purpose: 'approve', subject: minted.row.id });
    await deps.mailer.send({
      to: account.email,
      subject: 'Approve a new Lightbox API key',
      text: `Someone asked for a new API key named "${minted.row.name}" (${minted.row.environment}) for this account.\nTo approve it, open this link and confirm on the page: ${url}\nIf this was not you, ignore this email; the key stays unusable.`,
      links: [{ rel: 'approve-key', url }],
    });
  }
  const plan = planNamed(config.plans, account.plan);
  return {
    rate,
    body: {
      key: minted.key,
      key_id: minted.row.id,
      status: pending ? 'pending_approval' : 'active',
      verified,
      limits: {
        uploads: plan.uploadsPerMonth,
        storage_mb: Math.round(plan.storageBytes / 1024 / 1024),
        retention_days: verified ? null : config.unverifiedRetentionDays,
      },
      message: pending
        ? 'Key created. It works once the account owner approves it from the email we sent.'
        : verified
          ? 'Key created. Store it now: it is shown only once.'
          : 'Key created. Store it now: it is shown only once. Check your email to verify your account and keep uploads permanently.',
    },
  };
}

const keyRateDenied = (d: RateDecision) =>
  new AppError('rate_limited', {
    message: 'Too many key creation requests. Try again later.',
    action: { type: 'wait', seconds: d.retryAfter },
    retryAfter: d.retryAfter,
    headers: rateHeaders(d, { limit: d.limit, periodMs: KEY_RATE_PERIOD_MS }),
  });

/**
 * The per-IP budget is spent by every request, valid or not (it runs before the body is parsed), so the route
 * can send `X-RateLimit-*` on every response and floods of junk are limited too.
 */
/** Both `POST /v1/keys` budgets (per IP, per email) are per hour. */
export const KEY_RATE_PERIOD_MS = HOUR_MS;

export async function checkKeyIpRate(
  deps: Pick<SelfServeDeps, 'config' | 'limiter'>,
  ip: string,
): Promise<RateDecision> {
  const byIp = await deps.limiter.hit(`keys:ip:${ip}`, {
    limit: deps.config.keysPerIpPerHour,
    periodMs: KEY_RATE_PERIOD_MS,
  });
  if (!byIp.allowed) throw keyRateDenied(byIp);
  return byIp;
}

/** The per-email budget, spent only by well-formed requests; answers the tighter of the two decisions. */
async function checkKeyEmailRate(
  deps: SelfServeDeps,
  email: string,
  byIp: RateDecision,
): Promise<RateDecision> {
  const byEmail = await deps.limiter.hit(`keys:email:${email}`, {
    limit: deps.config.keysPerEmailPerHour,
    periodMs: KEY_RATE_PERIOD_MS,
  });
  if (!byEmail.allowed) throw keyRateDenied(byEmail);
  return byEmail.remaining < byIp.remaining ? byEmail : byIp;
}
