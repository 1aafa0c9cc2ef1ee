import { createHash, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { BASE62, randomBase62 } from '../lib/ids.ts';

export type Environment = 'live' | 'test';

/** 30 base62 characters ≈ 178 bits of randomness. */
const SECRET_LENGTH = 30;
const CHECKSUM_LENGTH = 6;

/**
 * Keys look like `<prefix>_<env>_<secret><checksum>` (GitHub style): the CRC32 checksum lets a typo or a made-up
 * key be refused without a database read.
 */
export function mintApiKey(prefix: string, environment: Environment): string {
  const body = `${prefix}_${environment}_${randomBase62(SECRET_LENGTH)}`;
  return `${body}${checksum(body)}`;
}

export interface ParsedKey {
  environment: Environment;
}

export function parseApiKey(prefix: string, key: string): ParsedKey | null {
  const match = new RegExp(`^${prefix}_(live|test)_[0-9A-Za-z]{${SECRET_LENGTH + CHECKSUM_LENGTH}}$`).exec(
    key,
  );
  if (!match) return null;
  const body = key.slice(0, -CHECKSUM_LENGTH);
  const given = Buffer.from(key.slice(-CHECKSUM_LENGTH));
  const expected = Buffer.from(checksum(body));
  if (!timingSafeEqual(given, expected)) return null;
  return { environment: match[1] as Environment };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * The Standard Webhooks secret of the deliveries a key's enhancements get (docs/api.md §3.5): `whsec_` and the
 * base64 of the raw SHA-256 of the key. Derived from the key, so it too can be shown only when the key is.
 */
export function webhookSecretOf(key: string): string {
  return `whsec_${createHash('sha256').update(key).digest('base64')}`;
}

/** What a human may see of a key after creation: enough to tell keys apart, useless to an attacker. */
export function keyHint(key: string): string {
  return `${key.slice(0, key.lastIndexOf('_') + 5)}…`;
}

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}
