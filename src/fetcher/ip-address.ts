import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

/** An IP address as raw bytes (4 for IPv4, 16 for IPv6): range checks compare bits, never text. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly bytes: Uint8Array;
}

export interface Cidr {
  readonly family: IpFamily;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/**
 * Parses canonical dotted-quad IPv4 or RFC 4291 IPv6 text. Legacy IPv4 notations (octal, hex,
 * short, decimal) are deliberately not accepted here: URL hosts reach this only after WHATWG URL
 * parsing has normalised them, and a resolver answering in such a notation is not trusted.
 * Zone ids are not accepted either; callers strip and refuse them first.
 */
export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) {
    return { family: 4, bytes: Uint8Array.from(text.split('.'), Number) };
  }
  if (isIPv6(text) && !text.includes('%')) {
    return { family: 6, bytes: parseIpv6(text) };
  }
  return undefined;
}

function parseIpv6(text: string): Uint8Array {
  const gap = text.indexOf('::');
  const head = gap === -1 ? text : text.slice(0, gap);
  const tail = gap === -1 ? '' : text.slice(gap + 2);
  const headGroups = toGroups(head);
  const tailGroups = toGroups(tail);
  const zeros = new Array<number>(8 - headGroups.length - tailGroups.length).fill(0);
  const groups = [...headGroups, ...zeros, ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function toGroups(part: string): number[] {
  if (part === '') return [];
  const groups: number[] = [];
  for (const piece of part.split(':')) {
    if (piece.includes('.')) {
      const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
      groups.push((a << 8) | b, (c << 8) | d);
    } else {
      groups.push(Number.parseInt(piece, 16));
    }
  }
  return groups;
}

/** Dotted quad, or RFC 5952 compressed IPv6 (longest run of two or more zero groups as `::`). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip.bytes[i] ?? 0) << 8) | (ip.bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Reads four bytes of an IPv6 address as the IPv4 address it embeds (optionally bit-inverted, as Teredo does). */
export function embeddedIpv4(ip: IpAddress, offset: number, invert = false): IpAddress {
  const bytes = ip.bytes.slice(offset, offset + 4);
  if (invert) for (let i = 0; i < 4; i++) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
  return { family: 4, bytes };
}

/** Parses `a.b.c.d/n`, `x::y/n` or a bare address (a single host). Throws on anything else. */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const ip = parseIp(addressText);
  if (!ip) throw new Error(`invalid CIDR ${JSON.stringify(text)}: not an IP address`);
  const maxPrefix = ip.family === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(maxPrefix) : trimmed.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= maxPrefix)) {
    throw new Error(`invalid CIDR ${JSON.stringify(text)}: prefix must be 0-${maxPrefix}`);
  }
  return { family: ip.family, bytes: ip.bytes, prefix };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  let remaining = cidr.prefix;
  for (let i = 0; remaining > 0; i++, remaining -= 8) {
    const mask = remaining >= 8 ? 0xff : (0xff << (8 - remaining)) & 0xff;
    if (((cidr.bytes[i] ?? 0) & mask) !== ((ip.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}
