import {
  type Cidr,
  cidrContains,
  embeddedIpv4,
  formatIp,
  type IpAddress,
  parseCidr,
  parseIp,
} from './ip-address.ts';

export type RefusalCategory =
  | 'invalid'
  | 'scoped'
  | 'cloud_metadata'
  | 'this_network'
  | 'private'
  | 'cgnat'
  | 'loopback'
  | 'link_local'
  | 'ietf_protocol'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'unspecified'
  | 'ipv4_compatible'
  | 'ipv4_mapped'
  | 'nat64'
  | '6to4'
  | 'teredo'
  | 'unique_local'
  | 'site_local'
  | 'not_global_unicast';

export type AddressVerdict =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly category: RefusalCategory;
      /** Human-readable, e.g. "::ffff:7f00:1 is IPv4-mapped 127.0.0.1 (loopback)". */
      readonly detail: string;
      /** True when the address is, or embeds, a cloud metadata endpoint: the allow-list never overrides these. */
      readonly metadata: boolean;
    };

type RangeTable = readonly (readonly [Cidr, RefusalCategory])[];

const table = (rows: readonly (readonly [string, RefusalCategory])[]): RangeTable =>
  rows.map(([cidr, category]) => [parseCidr(cidr), category] as const);

// Checked first so that a metadata address is reported as such even inside a broader refused range,
// and so that the allow-list cannot re-open it (168.63.129.16 is not even in a special range).
const CLOUD_METADATA = table([
  ['169.254.169.254/32', 'cloud_metadata'], // AWS, GCP, Azure, OpenStack, DigitalOcean, ...
  ['169.254.170.2/32', 'cloud_metadata'], // AWS ECS task credentials
  ['169.254.170.23/32', 'cloud_metadata'], // AWS EKS pod identity
  ['168.63.129.16/32', 'cloud_metadata'], // Azure wire server (a public address)
  ['100.100.100.200/32', 'cloud_metadata'], // Alibaba Cloud
  ['192.0.0.192/32', 'cloud_metadata'], // Oracle Cloud
  ['fd00:ec2::254/128', 'cloud_metadata'], // AWS IMDS over IPv6
  ['fd00:ec2::23/128', 'cloud_metadata'], // AWS EKS pod identity over IPv6
  ['fd20:ce::254/128', 'cloud_metadata'], // GCP metadata over IPv6
]);

// Order matters only for the label: broadcast sits inside 240/4.
const IPV4_REFUSED = table([
  ['0.0.0.0/8', 'this_network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link_local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'ietf_protocol'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'], // deprecated 6to4 relay anycast
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);

// Ranges refused outright, before the 2000::/3 test; each gets its own label.
const IPV6_REFUSED = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['2001:2::/48', 'benchmarking'],
  ['2001::/23', 'ietf_protocol'], // Teredo (2001::/32) is handled before this, by its embedded addresses
  ['fc00::/7', 'unique_local'],
  ['fe80::/10', 'link_local'],
  ['fec0::/10', 'site_local'],
  ['ff00::/8', 'multicast'],
  ['100::/64', 'reserved'], // discard-only
]);

// IPv6 forms that carry an IPv4 address the packets may end up at: judged by that IPv4 address.
// NAT64 local-use (64:ff9b:1::/48) may use any RFC 6052 prefix length, so every possible position is checked.
const EMBEDDING: readonly {
  readonly cidr: Cidr;
  readonly category: RefusalCategory;
  readonly label: string;
  readonly extract: (ip: IpAddress) => IpAddress[];
}[] = [
  {
    cidr: parseCidr('::ffff:0:0/96'),
    category: 'ipv4_mapped',
    label: 'IPv4-mapped',
    extract: (ip) => [embeddedIpv4(ip, 12)],
  },
  {
    cidr: parseCidr('64:ff9b::/96'),
    category: 'nat64',
    label: 'NAT64',
    extract: (ip) => [embeddedIpv4(ip, 12)],
  },
  {
    cidr: parseCidr('64:ff9b:1::/48'),
    category: 'nat64',
    label: 'local-use NAT64',
    extract: (ip) => [
      spliced(ip, [6, 7, 9, 10]), // /48
      spliced(ip, [7, 9, 10, 11]), // /56
      embeddedIpv4(ip, 9), // /64
      embeddedIpv4(ip, 12), // /96
    ],
  },
  {
    cidr: parseCidr('2002::/16'),
    category: '6to4',
    label: '6to4',
    extract: (ip) => [embeddedIpv4(ip, 2)],
  },
  {
    cidr: parseCidr('2001::/32'),
    category: 'teredo',
    label: 'Teredo',
    // Client address (obfuscated, last 32 bits) and server address (bits 32-63).
    extract: (ip) => [embeddedIpv4(ip, 12, true), embeddedIpv4(ip, 4)],
  },
];

const IPV4_COMPATIBLE = parseCidr('::/96');
const GLOBAL_UNICAST = parseCidr('2000::/3');

function spliced(ip: IpAddress, offsets: readonly number[]): IpAddress {
  return { family: 4, bytes: Uint8Array.from(offsets, (offset) => ip.bytes[offset] ?? 0) };
}

function refused(ip: IpAddress, category: RefusalCategory, detail?: string): AddressVerdict {
  return {
    allowed: false,
    category,
    detail: detail ?? `${formatIp(ip)} is ${category.replaceAll('_', ' ')}`,
    metadata: category === 'cloud_metadata',
  };
}

function lookupTable(ip: IpAddress, rows: RangeTable): RefusalCategory | undefined {
  return rows.find(([cidr]) => cidrContains(cidr, ip))?.[1];
}

/** The fixed policy: is this address public unicast that the server may connect to? No allow-list here. */
export function classifyAddress(ip: IpAddress): AddressVerdict {
  const metadata = lookupTable(ip, CLOUD_METADATA);
  if (metadata) return refused(ip, metadata);
  if (ip.family === 4) {
    const category = lookupTable(ip, IPV4_REFUSED);
    return category ? refused(ip, category) : { allowed: true };
  }
  const special = lookupTable(ip, IPV6_REFUSED.slice(0, 2)); // :: and ::1 sit inside ::/96
  if (special) return refused(ip, special);
  for (const form of EMBEDDING) {
    if (!cidrContains(form.cidr, ip)) continue;
    for (const inner of form.extract(ip)) {
      const verdict = classifyAddress(inner);
      if (!verdict.allowed) {
        return {
          allowed: false,
          category: form.category,
          detail: `${formatIp(ip)} is ${form.label} ${formatIp(inner)} (${verdict.category.replaceAll('_', ' ')})`,
          metadata: verdict.metadata,
        };
      }
    }
    return { allowed: true };
  }
  // Deprecated (RFC 4291) and never legitimately routed: refused whatever it embeds.
  if (cidrContains(IPV4_COMPATIBLE, ip)) return refused(ip, 'ipv4_compatible');
  const category = lookupTable(ip, IPV6_REFUSED);
  if (category) return refused(ip, category);
  if (!cidrContains(GLOBAL_UNICAST, ip)) return refused(ip, 'not_global_unicast');
  return { allowed: true };
}

/**
 * The fixed policy plus the operator's allow-list (e.g. `127.0.0.1/32` for tests on loopback).
 * An allow-listed network re-opens refused addresses inside it, except cloud metadata addresses
 * and scoped (zone id) addresses, which stay refused whatever the allow-list says.
 */
export class AddressPolicy {
  readonly #allow: readonly Cidr[];

  /** Throws on an invalid CIDR, naming it, so a bad setting stops the start. */
  constructor(allowCidrs: readonly string[] = []) {
    this.#allow = allowCidrs.map(parseCidr);
  }

  check(address: string): AddressVerdict {
    if (address.includes('%')) {
      const bare = parseIp(address.slice(0, address.indexOf('%')));
      const inner = bare ? classifyAddress(bare) : undefined;
      const what = inner && !inner.allowed ? ` (${inner.category.replaceAll('_', ' ')})` : '';
      return {
        allowed: false,
        category: 'scoped',
        detail: `${address} is a scoped address${what}`,
        metadata: false,
      };
    }
    const ip = parseIp(address);
    if (!ip) {
      return {
        allowed: false,
        category: 'invalid',
        detail: `${address} is not an IP address`,
        metadata: false,
      };
    }
    const verdict = classifyAddress(ip);
    if (verdict.allowed || verdict.metadata) return verdict;
    return this.#allow.some((cidr) => cidrContains(cidr, ip)) ? { allowed: true } : verdict;
  }
}
