import { randomBytes, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform base62 (rejection-free: randomInt is unbiased). */
export function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

export function randomBase36(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(36)]?.toLowerCase();
  return out;
}

let lastMs = 0;
let counter = 0;

/**
 * `<prefix>_<time><counter><random>` in base36: sorts by creation time, so keyset pagination and "newest first"
 * need no extra column. The counter keeps ids from one process ordered within a millisecond.
 */
export function sortableId(prefix: string): string {
  const now = Date.now();
  counter = now === lastMs ? counter + 1 : 0;
  lastMs = now;
  const time = now.toString(36).padStart(9, '0');
  const seq = counter.toString(36).padStart(3, '0');
  return `${prefix}_${time}${seq}${randomBase36(8)}`;
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export { BASE62 };
