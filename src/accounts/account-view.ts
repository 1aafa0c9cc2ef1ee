import { toIso } from '../lib/time.ts';
import type { AccountsTable, ApiKeysTable } from '../store/database.ts';

/** Operator API shape of an account (docs/api.md §4). */
export function accountView(a: AccountsTable) {
  return {
    id: a.id,
    email: a.email,
    email_verified: a.email_verified === 1,
    plan: a.plan,
    registration_policy: a.registration_policy,
    suspended: a.suspended === 1,
    payment_risk: a.payment_risk === 1,
    credits: {
      paid_available: Number(a.paid_available),
      paid_reserved: Number(a.paid_reserved),
      lifetime_purchased: Number(a.lifetime_purchased),
      promotional: Number(a.promotional),
    },
    created_at: toIso(a.created_at),
  };
}

/** Operator API shape of a key; the secret itself is never readable after creation. */
export function keyView(k: ApiKeysTable) {
  return {
    key_id: k.id,
    account_id: k.account_id,
    name: k.name,
    hint: k.hint,
    environment: k.environment,
    status: k.status,
    expires_at: toIso(k.expires_at),
    last_used_at: toIso(k.last_used_at),
    created_at: toIso(k.created_at),
  };
}
