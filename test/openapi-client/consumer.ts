// A client of every operation, written against types generated from /openapi.json with openapi-typescript and
// called through openapi-fetch. `test/openapi-client.test.ts` generates `schema.ts` next to a copy of this file and
// compiles both with `tsc --noEmit`: it must compile with zero errors, and it must call every operation. It is not
// part of the project's own type check (the generated file exists only in the test's scratch folder).
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.ts';

type Media = components['schemas']['Media'];

const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:8080' });
const auth = { Authorization: 'Bearer img_test_example' };
const admin = { Authorization: 'Bearer operator-token' };

const formData = (fields: Record<string, string | Blob>): FormData => {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
};

export async function hosting(): Promise<string[]> {
  const seen: string[] = [];

  const key = await client.POST('/v1/keys', { body: { email: 'you@example.com', environment: 'test' } });
  if (key.data) seen.push(key.data.key, key.data.status, String(key.data.limits.retention_days));
  if (key.error) seen.push(key.error.error, key.error.message, key.error.request_id);

  const uploaded = await client.POST('/v1/upload', {
    headers: auth,
    body: {
      file: new Blob([new Uint8Array([0xff, 0xd8])], { type: 'image/jpeg' }),
      name: 'a.jpg',
      tags: 'x,y',
    },
    bodySerializer: (body) => formData({ ...body }),
  });
  if (uploaded.data) seen.push(uploaded.data.src, uploaded.data.sizes.m, uploaded.data.upgrade?.url ?? '');
  if (uploaded.error && 'action' in uploaded.error) seen.push(uploaded.error.action?.type ?? '');

  const imported = await client.POST('/v1/import', {
    body: { url: 'https://example.org/a.jpg', tags: ['a', 'b'], public: false, ttl: '7d' },
  });
  if (imported.data) seen.push(imported.data.id);
  if (imported.error) seen.push(imported.error.error);

  const page = await client.GET('/v1/media', {
    headers: auth,
    params: { query: { limit: 10, tags: 'x', tag_mode: 'all' } },
  });
  const first: Media | undefined = page.data?.data[0];
  if (page.data) seen.push(String(page.data.pagination.has_more), page.data.pagination.next_cursor ?? '');
  if (first) seen.push(first.name, String(first.width), first.format);

  const one = await client.GET('/v1/media/{id}', { params: { path: { id: 'aB3dE5fG' } } });
  if (one.data) seen.push(one.data.url, String(one.data.expires_at ?? 'permanent'));
  if (one.error) seen.push(one.error.error);

  const changed = await client.PATCH('/v1/media/{id}', {
    headers: auth,
    params: { path: { id: 'aB3dE5fG' } },
    body: { tags: ['featured'], tag_mode: 'add', namespace: null, ttl: null },
  });
  if (changed.data) seen.push(changed.data.tags.join(','));

  const removed = await client.DELETE('/v1/media/{id}', {
    headers: auth,
    params: { path: { id: 'aB3dE5fG' } },
  });
  if (removed.data) seen.push(String(removed.data.deleted));

  const batch = await client.PATCH('/v1/media', {
    headers: auth,
    params: { query: { ids: 'aB3dE5fG,hI9jK0lM' } },
    body: { public: true },
  });
  if (batch.data) seen.push(...batch.data.data.map((m) => m.id), ...batch.data.errors.map((e) => e.error));

  const batchRemoved = await client.DELETE('/v1/media', {
    headers: auth,
    params: { query: { ids: 'aB3dE5fG' } },
  });
  if (batchRemoved.data) seen.push(...batchRemoved.data.data.map((d) => d.id));

  const usage = await client.GET('/v1/usage', { headers: auth });
  if (usage.data) seen.push(String(usage.data.uploads.used), String(usage.data.keys.limit ?? 'none'));

  return seen;
}

export async function enhancement(): Promise<string[]> {
  const seen: string[] = [];

  const presets = await client.GET('/api/v1/product-image-enhancement-presets');
  if (presets.data) seen.push(...presets.data.presets.map((p) => `${p.id}: ${p.name}`));

  const created = await client.POST('/api/v1/product-image-enhancements', {
    headers: auth,
    params: { header: { 'Idempotency-Key': 'order-1042-retry-safe' } },
    body: {
      images: [{ source_url: 'https://example.org/mug.jpg', external_id: 'sku-1' }],
      preset: 'single_product_white_background',
      preservation_level: 'strict',
    },
  });
  if (created.data) seen.push(created.data.enhancement.id, String(created.data.remaining_paid_credits));
  if (created.error) seen.push(created.error.error.code, created.error.error.request_id);
  const location = created.response.headers.get('location');
  if (location) seen.push(location);

  const batch = await client.GET('/api/v1/product-image-enhancements/{id}', {
    headers: auth,
    params: { path: { id: 'b3c1f0a2-5d7e-4f11-9a2b-6c8d0e4f1a37' } },
  });
  for (const item of batch.data?.enhancement.items ?? []) {
    seen.push(
      item.status,
      item.result_url ?? '',
      item.error_code ?? '',
      ...(item.warnings ?? []).map((w) => w.code),
    );
  }

  const list = await client.GET('/api/v1/product-image-enhancements', {
    headers: auth,
    params: { query: { status: 'completed', limit: 5 } },
  });
  if (list.data) seen.push(...list.data.enhancements.map((e) => e.status), list.data.next_cursor ?? '');

  return seen;
}

export async function operator(): Promise<string[]> {
  const seen: string[] = [];
  const account = await client.POST('/admin/v1/accounts', {
    headers: admin,
    body: { email: 'owner@example.com', email_verified: true },
  });
  const id = account.data?.id ?? 'acc_missing';
  if (account.error) seen.push(account.error.error.code);

  const accounts = await client.GET('/admin/v1/accounts', {
    headers: admin,
    params: { query: { limit: 10 } },
  });
  if (accounts.data) seen.push(...accounts.data.data.map((a) => a.email));

  const got = await client.GET('/admin/v1/accounts/{id}', { headers: admin, params: { path: { id } } });
  if (got.data) seen.push(got.data.registration_policy, String(got.data.credits.paid_available));

  const updated = await client.PATCH('/admin/v1/accounts/{id}', {
    headers: admin,
    params: { path: { id } },
    body: { registration_policy: 'open', suspended: false },
  });
  if (updated.data) seen.push(updated.data.plan);

  const granted = await client.POST('/admin/v1/accounts/{id}/credits', {
    headers: admin,
    params: { path: { id } },
    body: { amount: 200, kind: 'purchased', note: 'welcome' },
  });
  if (granted.data) seen.push(String(granted.data.entry.balance_after), granted.data.account.id);

  const ledger = await client.GET('/admin/v1/accounts/{id}/ledger', {
    headers: admin,
    params: { path: { id }, query: { limit: 20 } },
  });
  if (ledger.data) seen.push(...ledger.data.data.map((e) => `${e.type} ${e.amount}`));

  const minted = await client.POST('/admin/v1/accounts/{id}/keys', {
    headers: admin,
    params: { path: { id } },
    body: { environment: 'live', name: 'CI', expires_at: null },
  });
  const keyId = minted.data?.key_id ?? 'key_missing';

  const keys = await client.GET('/admin/v1/keys', { headers: admin, params: { query: { account_id: id } } });
  if (keys.data)
    seen.push(...keys.data.data.map((k) => `${k.hint} ${k.status} ${k.last_used_at ?? 'never'}`));

  const key = await client.PATCH('/admin/v1/keys/{key_id}', {
    headers: admin,
    params: { path: { key_id: keyId } },
    body: { status: 'inactive' },
  });
  if (key.data) seen.push(key.data.status);

  const deleted = await client.DELETE('/admin/v1/keys/{key_id}', {
    headers: admin,
    params: { path: { key_id: keyId } },
  });
  if (deleted.data) seen.push(deleted.data.key_id);

  const deliveries = await client.GET('/admin/v1/webhook-deliveries', {
    headers: admin,
    params: { query: { limit: 5 } },
  });
  const event = deliveries.data?.data[0];
  if (event) seen.push(event.status, ...event.attempt_log.map((a) => a.outcome));

  const again = await client.POST('/admin/v1/webhook-deliveries/{id}/redeliver', {
    headers: admin,
    params: { path: { id: event?.id ?? 'evt_missing' } },
  });
  if (again.data) seen.push(again.data.status);

  const outbox = await client.GET('/admin/v1/outbox', {
    headers: admin,
    params: { query: { to: 'owner@example.com' } },
  });
  if (outbox.data) seen.push(...outbox.data.data.map((m) => `${m.subject} ${m.links.length}`));

  return seen;
}

export async function delivery(src: { token: string; file: string }): Promise<string[]> {
  const seen: string[] = [];
  const image = await client.GET('/src/{token}/{file}', {
    params: { path: src, query: { size: 'm', format: 'webp' } },
    parseAs: 'blob',
  });
  if (image.data) seen.push(image.data.type);
  const page = await client.GET('/i/{id}', { params: { path: { id: 'aB3dE5fG' } }, parseAs: 'text' });
  if (page.data) seen.push(page.data.slice(0, 15));
  const health = await client.GET('/healthz');
  if (health.data) seen.push(health.data.status);
  const ready = await client.GET('/readyz');
  if (ready.data) seen.push(ready.data.status, ...Object.values(ready.data.checks));
  return seen;
}
