import { isIPv4, isIPv6 } from 'node:net';
import { classifyAddress } from './address-policy.ts';
import { type FetchFailure, fetchFailure } from './fetch-result.ts';
import { parseIp } from './ip-address.ts';

export const MAX_URL_LENGTH = 2048;

/** Where a URL points: an IP literal (connected to as is) or a name (resolved by the fetcher). */
export type UrlHost =
  | { readonly kind: 'ip'; readonly address: string }
  | { readonly kind: 'name'; readonly name: string };

export interface AcceptedUrl {
  readonly ok: true;
  readonly url: URL;
  readonly host: UrlHost;
}

// WHATWG URL rejects zone ids outright; they are caught here first so that `[fe80::1%25eth0]`
// is reported as the refused address it is rather than as a typo.
const ZONED_IPV6_HOST = /^\s*[a-z][a-z0-9+.-]*:[/\\]{2}(?:[^/?#\\]*@)?\[([^\]]*%[^\]]*)\]/i;

/**
 * Syntax rules for every URL the fetcher touches. WHATWG parsing already turns every IPv4
 * notation (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`, `127.0.0.1.`, full-width digits,
 * percent-encoded digits) into a dotted quad and IPv6 into canonical form, so the hostname it
 * returns is either a canonical literal or a name; nothing else re-parses the host.
 */
export function acceptUrl(input: string | URL, httpsOnly: boolean): AcceptedUrl | FetchFailure {
  const raw = typeof input === 'string' ? input : input.href;
  if (raw.length > MAX_URL_LENGTH) {
    return fetchFailure('invalid_url', `URL is longer than ${MAX_URL_LENGTH} characters`);
  }
  const zoned = ZONED_IPV6_HOST.exec(raw)?.[1];
  if (zoned !== undefined) return refuseZoned(zoned);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fetchFailure('invalid_url', 'URL is malformed');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return fetchFailure('invalid_url', 'only http and https URLs can be fetched');
  }
  if (httpsOnly && url.protocol !== 'https:') return fetchFailure('invalid_url', 'URL must use https');
  if (url.username !== '' || url.password !== '') {
    return fetchFailure('invalid_url', 'URL must not contain a user name or password');
  }
  // Normalisation can lengthen a URL (IDN to punycode, percent-encoding).
  if (url.href.length > MAX_URL_LENGTH) {
    return fetchFailure('invalid_url', `URL is longer than ${MAX_URL_LENGTH} characters`);
  }
  return { ok: true, url, host: hostOf(url) };
}

/** A `Location` header, resolved against the URL that sent it and held to the same rules. */
export function acceptRedirect(location: string, base: URL, httpsOnly: boolean): AcceptedUrl | FetchFailure {
  let target: URL;
  try {
    target = new URL(location, base);
  } catch {
    return fetchFailure('blocked', 'redirected to a malformed URL');
  }
  const accepted = acceptUrl(target, httpsOnly);
  if (accepted.ok || accepted.reason === 'blocked') return accepted;
  // The caller's URL was fine; what the server redirected to is refused, not the caller's input.
  return fetchFailure('blocked', `redirect refused: ${accepted.message}`);
}

function hostOf(url: URL): UrlHost {
  const hostname = url.hostname;
  // WHATWG brackets IPv6 hosts and leaves IPv4 ones as canonical dotted quads.
  if (hostname.startsWith('[')) return { kind: 'ip', address: hostname.slice(1, -1) };
  if (isIPv4(hostname)) return { kind: 'ip', address: hostname };
  return { kind: 'name', name: hostname };
}

function refuseZoned(bracketed: string): FetchFailure {
  const address = bracketed.slice(0, bracketed.indexOf('%'));
  const ip = isIPv6(address) ? parseIp(address) : undefined;
  if (!ip) return fetchFailure('invalid_url', 'URL is malformed');
  const verdict = classifyAddress(ip);
  const what = verdict.allowed ? '' : ` (${verdict.category.replaceAll('_', ' ')})`;
  // A zone id only means something for scoped (link-local) addresses; none of those are public.
  return fetchFailure('blocked', `IPv6 zone ids are not allowed: ${address}${what}`);
}
