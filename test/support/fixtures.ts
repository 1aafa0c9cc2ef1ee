import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestResponse, TestServer } from './test-server.ts';

/** Operator API shapes (docs/api.md §4), as the tests read them. */
export interface AccountView {
  id: string;
  email: string;
  email_verified: boolean;
  plan: string;
  registration_policy: 'open' | 'approval' | 'closed';
  suspended: boolean;
  payment_risk: boolean;
  credits: { paid_available: number; paid_reserved: number; lifetime_purchased: number; promotional: number };
  created_at: string;
}

export interface MintedKey {
  key: string;
  key_id: string;
  environment: 'live' | 'test';
  status: 'active' | 'inactive' | 'pending_approval' | 'revoked';
  expires_at: string | null;
}

export interface KeyView {
  key_id: string;
  account_id: string;
  name: string;
  hint: string;
  environment: 'live' | 'test';
  status: MintedKey['status'];
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
}

export interface LedgerEntryView {
  id: string;
  type: 'grant' | 'reserve' | 'consume' | 'release';
  kind: 'purchased' | 'promotional';
  amount: number;
  balance_after: number;
  enhancement_id: string | null;
  note: string | null;
  created_at: string;
}

export interface OutboxMessageView {
  id: string;
  to: string;
  subject: string;
  text: string;
  links: { rel: string; url: string }[];
  created_at: string;
  sent_at: string | null;
}

/** A fresh address per call, so tests sharing one server never see each other's accounts. */
export const uniqueEmail = (): string => `${randomUUID()}@example.test`;

/** Fails with the response body in the message, so a broken fixture call says why. */
function expectStatus(response: TestResponse, status: number, what: string): void {
  expect(response.status, `${what}: ${response.text}`).toBe(status);
}

export async function createAccount(
  server: TestServer,
  options: { email?: string; verified?: boolean; plan?: string } = {},
): Promise<AccountView> {
  const body: Record<string, unknown> = { email: options.email ?? uniqueEmail() };
  if (options.verified !== undefined) body.email_verified = options.verified;
  if (options.plan !== undefined) body.plan = options.plan;
  const response = await server.admin('POST', '/admin/v1/accounts', body);
  expectStatus(response, 201, 'create account');
  return response.body as AccountView;
}

export async function mintKey(
  server: TestServer,
  accountId: string,
  options: { environment?: 'live' | 'test'; name?: string; expires_at?: string | null } = {},
): Promise<MintedKey> {
  const response = await server.admin('POST', `/admin/v1/accounts/${accountId}/keys`, {
    environment: options.environment ?? 'live',
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.expires_at !== undefined ? { expires_at: options.expires_at } : {}),
  });
  expectStatus(response, 201, 'mint key');
  return response.body as MintedKey;
}

/** An account (verified unless told otherwise) with one key of the given environment. */
export async function accountWithKey(
  server: TestServer,
  options: { verified?: boolean; environment?: 'live' | 'test' } = {},
): Promise<{ account: AccountView; key: MintedKey }> {
  const account = await createAccount(server, { verified: options.verified ?? true });
  const key = await mintKey(server, account.id, { environment: options.environment ?? 'live' });
  return { account, key };
}

export async function grantCredits(
  server: TestServer,
  accountId: string,
  amount: number,
  kind: 'purchased' | 'promotional' = 'purchased',
  note?: string,
): Promise<{ entry: LedgerEntryView; account: AccountView }> {
  const response = await server.admin('POST', `/admin/v1/accounts/${accountId}/credits`, {
    amount,
    kind,
    ...(note !== undefined ? { note } : {}),
  });
  expectStatus(response, 201, 'grant credits');
  return response.body as { entry: LedgerEntryView; account: AccountView };
}

export async function patchAccount(
  server: TestServer,
  accountId: string,
  patch: Partial<
    Pick<AccountView, 'plan' | 'suspended' | 'payment_risk' | 'email_verified' | 'registration_policy'>
  >,
): Promise<AccountView> {
  const response = await server.admin('PATCH', `/admin/v1/accounts/${accountId}`, patch);
  expectStatus(response, 200, 'patch account');
  return response.body as AccountView;
}

export async function patchKey(
  server: TestServer,
  keyId: string,
  patch: { status?: 'active' | 'inactive' | 'revoked'; expires_at?: string | null },
): Promise<KeyView> {
  const response = await server.admin('PATCH', `/admin/v1/keys/${keyId}`, patch);
  expectStatus(response, 200, 'patch key');
  return response.body as KeyView;
}

export async function getAccount(server: TestServer, accountId: string): Promise<AccountView> {
  const response = await server.admin('GET', `/admin/v1/accounts/${accountId}`);
  expectStatus(response, 200, 'get account');
  return response.body as AccountView;
}

export async function findAccountsByEmail(server: TestServer, email: string): Promise<AccountView[]> {
  const response = await server.admin('GET', `/admin/v1/accounts?email=${encodeURIComponent(email)}`);
  expectStatus(response, 200, 'list accounts');
  return (response.body as { data: AccountView[] }).data;
}

export async function listKeys(server: TestServer, accountId: string): Promise<KeyView[]> {
  const response = await server.admin('GET', `/admin/v1/keys?account_id=${encodeURIComponent(accountId)}`);
  expectStatus(response, 200, 'list keys');
  return (response.body as { data: KeyView[] }).data;
}

export async function outbox(server: TestServer, to?: string): Promise<OutboxMessageView[]> {
  const query = to === undefined ? '' : `?to=${encodeURIComponent(to)}`;
  const response = await server.admin('GET', `/admin/v1/outbox${query}`);
  expectStatus(response, 200, 'outbox');
  return (response.body as { data: OutboxMessageView[] }).data;
}

/** The one link with `rel` in the mails to `to` (newest mail first); fails when there is not exactly one. */
export async function mailedLink(server: TestServer, to: string, rel: string): Promise<string> {
  const links = (await outbox(server, to)).flatMap((m) => m.links).filter((l) => l.rel === rel);
  expect(links, `links "${rel}" mailed to ${to}`).toHaveLength(1);
  return (links[0] as { url: string }).url;
}

/** A path + query of an absolute link on the test server, to pass to `server.request`. */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}
