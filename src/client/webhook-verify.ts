import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from './errors.ts';
import type { WebhookEvent } from './types.ts';

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookInput {
  /** The raw body exactly as received: re-serialised JSON does not verify. */
  body: string | Uint8Array;
  headers: HeaderBag;
  /** The API key that created the batch: checks both schemes. */
  apiKey?: string;
  /** Or a Standard Webhooks secret (`whsec_…`, see `webhookSecret`): checks that scheme only. */
  secret?: string;
  /** How far the signed timestamp may be from now (default 300 s), against replays. */
  toleranceSeconds?: number;
  /** Unix milliseconds; for tests. */
  now?: number;
}

/** The Standard Webhooks secret of an API key: `whsec_<base64 of the raw SHA-256 of the key>`. */
export function webhookSecret(apiKey: string): string {
  return `whsec_${createHash('sha256').update(apiKey).digest('base64')}`;
}

/**
 * Checks a webhook delivery (docs/api.md §3.5) and returns its event. Each scheme whose headers are present and
 * whose secret is known is checked — the published one (`X-Aigen-Signature: v1=<hex>`) and Standard Webhooks
 * (`webhook-signature: v1,<base64>`) — at least one must be, and every one checked must pass. Signatures are
 * compared in constant time. Throws `WebhookVerificationError` otherwise.
 */
export function verifyWebhook(input: VerifyWebhookInput): WebhookEvent {
  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : Buffer.from(input.body);
  const header = headerReader(input.headers);
  const tolerance = input.toleranceSeconds ?? 300;
  const now = input.now ?? Date.now();
  const keyHash = input.apiKey === undefined ? null : createHash('sha256').update(input.apiKey).digest();
  const standardKey = keyHash ?? (input.secret === undefined ? null : standardSecretBytes(input.secret));
  if (!standardKey) throw new TypeError('verifyWebhook needs apiKey or secret');

  let checked = 0;
  const published = header('x-aigen-signature');
  if (published !== undefined && keyHash) {
    const id = required(header('x-aigen-event-id'), 'X-Aigen-Event-Id');
    const timestamp = timestampOf(header('x-aigen-timestamp'), tolerance, now);
    const signed = Buffer.concat([Buffer.from(`${timestamp}.${id}.`), body]);
    const expected = createHmac('sha256', keyHash.toString('hex')).update(signed).digest();
    const given = /^v1=([0-9a-f]{64})$/i.exec(published.trim())?.[1];
    if (!given || !timingSafeEqual(Buffer.from(given, 'hex'), expected))
      fail('X-Aigen-Signature does not match');
    checked++;
  }
  const standard = header('webhook-signature');
  if (standard !== undefined) {
    const id = required(header('webhook-id'), 'webhook-id');
    const timestamp = timestampOf(header('webhook-timestamp'), tolerance, now);
    const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]);
    const expected = createHmac('sha256', standardKey).update(signed).digest();
    // Several signatures may be sent during a secret rotation: one matching is enough.
    const matches = standard.split(' ').some((entry) => {
      const [version, value] = entry.split(',', 2);
      if (version !== 'v1' || !value) return false;
      const given = Buffer.from(value, 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!matches) fail('webhook-signature does not match');
    checked++;
  }
  if (checked === 0) fail('no signature this key can check (X-Aigen-Signature or webhook-signature)');
  try {
    return JSON.parse(body.toString('utf8')) as WebhookEvent;
  } catch {
    fail('the body is not JSON');
  }
}

function fail(message: string): never {
  throw new WebhookVerificationError(message);
}

function required(value: string | undefined, name: string): string {
  if (!value) fail(`${name} header missing`);
  return value;
}

function timestampOf(value: string | undefined, toleranceSeconds: number, now: number): number {
  if (!value || !/^\d{1,12}$/.test(value)) fail('timestamp header missing or malformed');
  const seconds = Number(value);
  if (Math.abs(now / 1000 - seconds) > toleranceSeconds) fail('timestamp outside the tolerance');
  return seconds;
}

function standardSecretBytes(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) throw new TypeError('secret must start with whsec_');
  return Buffer.from(secret.slice('whsec_'.length), 'base64');
}

function headerReader(headers: HeaderBag): (name: string) => string | undefined {
  if (headers instanceof Headers) return (name) => headers.get(name) ?? undefined;
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => {
    const value = lower.get(name);
    return Array.isArray(value) ? value.join(', ') : value;
  };
}
