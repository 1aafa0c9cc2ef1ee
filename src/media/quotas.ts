import type { Account } from '../accounts/accounts-store.ts';
import { nextPlan, planNamed } from '../accounts/plans.ts';
import type { SignedLinks } from '../accounts/signed-links.ts';
import { quotaMonth, storageUsed } from '../accounts/usage.ts';
import type { Config } from '../config/config.ts';
import { AppError, type ErrorAction } from '../errors/app-error.ts';
import { DAY_MS, HOUR_MS } from '../lib/time.ts';
import type { RateDecision, RateLimiter, RateRule } from '../limiter/limiter.ts';
import { rateHeaders } from '../limiter/rate-headers.ts';
import type { Tx } from '../store/store.ts';

export interface QuotaDeps {
  config: Pick<Config, 'plans' | 'billingUrl' | 'dashboardUrl' | 'docsUrl' | 'anonPerHour' | 'anonPerDay'>;
  links: SignedLinks;
  limiter: RateLimiter;
}

/** The action a `quota_exceeded` carries (docs/api.md §2.2): verify, upgrade, or redirect on the top plan. */
function quotaAction(deps: QuotaDeps, account: Account): ErrorAction {
  if (!account.email_verified) {
    return {
      type: 'verify',
      url: deps.links.create({ purpose: 'verify-request', subject: account.id }),
      label: 'Verify email for permanent storage',
    };
  }
  const next = nextPlan(deps.config.plans, account.plan);
  if (next) {
    return {
      type: 'upgrade',
      url: deps.links.create({ purpose: 'upgrade', subject: account.id, plan: next.name }),
      label: `Upgrade to ${next.label} for ${next.uploadsPerMonth.toLocaleString('en-US')} uploads`,
    };
  }
  return {
    type: 'redirect',
    url: deps.config.billingUrl ?? deps.config.dashboardUrl,
    label: 'Contact us for higher limits',
  };
}

export function quotaExceeded(
  deps: QuotaDeps,
  account: Account,
  used: number,
  kind: 'uploads' | 'storage',
): AppError {
  const plan = planNamed(deps.config.plans, account.plan);
  const message =
    kind === 'storage'
      ? 'Storage limit reached.'
      : account.email_verified
        ? 'Monthly upload limit reached.'
        : 'Unverified upload limit reached. Verify your email to unlock permanent storage.';
  return new AppError('quota_exceeded', {
    message,
    action: quotaAction(deps, account),
    usage: { plan: plan.name, uploads_used: used, uploads_limit: plan.uploadsPerMonth },
  });
}

/**
 * Counts one upload against the month, atomically: the conditional upsert only increments below the limit, so
 * concurrent uploads cannot overshoot it on PostgreSQL either. Also checks storage with the new bytes.
 */
export async function chargeUpload(deps: QuotaDeps, tx: Tx, account: Account, bytes: number): Promise<void> {
  const plan = planNamed(deps.config.plans, account.plan);
  const { month } = quotaMonth();
  const counted = await tx
    .insertInto('upload_counts')
    .values({ account_id: account.id, month, count: 1 })
    .onConflict((oc) =>
      oc
        .columns(['account_id', 'month'])
        .doUpdateSet((eb) => ({ count: eb('upload_counts.count', '+', 1) }))
        .where('upload_counts.count', '<', plan.uploadsPerMonth),
    )
    .returning('count')
    .executeTakeFirst();
  if (!counted || plan.uploadsPerMonth === 0)
    throw quotaExceeded(deps, account, plan.uploadsPerMonth, 'uploads');
  const stored = await storageUsed(tx, account.id);
  if (stored + bytes > plan.storageBytes)
    throw quotaExceeded(deps, account, Number(counted.count) - 1, 'storage');
}

/**
 * Anonymous uploads: 20/hour and 100/day per client IP by default, refused with a redirect to get a key. Returns the
 * tighter of the two (fewer requests left) for the response's headers.
 */
export async function checkAnonymousRate(
  deps: QuotaDeps,
  ip: string,
): Promise<{ decision: RateDecision; rule: RateRule }> {
  const rules = [
    { key: `anon:h:${ip}`, rule: { limit: deps.config.anonPerHour, periodMs: HOUR_MS }, label: 'Hourly' },
    { key: `anon:d:${ip}`, rule: { limit: deps.config.anonPerDay, periodMs: DAY_MS }, label: 'Daily' },
  ];
  let tightest: { decision: RateDecision; rule: RateRule } | undefined;
  for (const { key, rule, label } of rules) {
    const decision = await deps.limiter.hit(key, rule);
    if (!decision.allowed) {
      const minutes = Math.ceil(decision.retryAfter / 60);
      throw new AppError('rate_limited', {
        message: `${label} limit of ${rule.limit} uploads reached. Resets in ${minutes} minute${minutes === 1 ? '' : 's'}. Get an API key for higher limits.`,
        action: { type: 'redirect', url: deps.config.docsUrl, label: 'Create API Key' },
        retryAfter: decision.retryAfter,
        headers: rateHeaders(decision, rule),
      });
    }
    if (!tightest || decision.remaining < tightest.decision.remaining) tightest = { decision, rule };
  }
  return tightest as { decision: RateDecision; rule: RateRule };
}
