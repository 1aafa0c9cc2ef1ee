import { describe, expect, it } from 'vitest';
import { AddressPolicy, type RefusalCategory } from './address-policy.ts';
import { formatIp, parseCidr, parseIp } from './ip-address.ts';

const policy = new AddressPolicy();

const refused: readonly (readonly [string, RefusalCategory])[] = [
  // IPv4 special ranges
  ['0.0.0.0', 'this_network'],
  ['0.1.2.3', 'this_network'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.0.1', 'private'],
  ['192.168.255.255', 'private'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['169.254.0.1', 'link_local'],
  ['169.254.255.255', 'link_local'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['192.0.2.1', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.200', 'documentation'],
  ['192.0.0.1', 'ietf_protocol'],
  ['192.0.0.170', 'ietf_protocol'],
  ['192.88.99.1', 'reserved'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['254.1.2.3', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  // Cloud metadata, including the ones outside any special range
  ['169.254.169.254', 'cloud_metadata'],
  ['169.254.170.2', 'cloud_metadata'],
  ['168.63.129.16', 'cloud_metadata'],
  ['100.100.100.200', 'cloud_metadata'],
  ['192.0.0.192', 'cloud_metadata'],
  ['fd00:ec2::254', 'cloud_metadata'],
  ['fd20:ce::254', 'cloud_metadata'],
  // IPv6 special ranges
  ['::', 'unspecified'],
  ['0:0:0:0:0:0:0:0', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['fe80::1', 'link_local'],
  ['febf:ffff::1', 'link_local'],
  ['fec0::1', 'site_local'],
  ['fc00::1', 'unique_local'],
  ['fd12:3456:789a::1', 'unique_local'],
  ['ff02::1', 'multicast'],
  ['ff05::1:3', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
  ['3fff::1', 'documentation'],
  ['2001:2::1', 'benchmarking'],
  ['2001:10::1', 'ietf_protocol'],
  ['2001:20::1', 'ietf_protocol'],
  ['100::1', 'reserved'],
  ['4000::1', 'not_global_unicast'],
  ['1::1', 'not_global_unicast'],
  ['e000::1', 'not_global_unicast'],
  ['5f00::1', 'not_global_unicast'],
  // IPv6 forms embedding a refused IPv4 address
  ['::ffff:127.0.0.1', 'ipv4_mapped'],
  ['::ffff:7f00:1', 'ipv4_mapped'],
  ['0:0:0:0:0:ffff:10.0.0.1', 'ipv4_mapped'],
  ['::ffff:169.254.169.254', 'ipv4_mapped'],
  ['::ffff:0.0.0.0', 'ipv4_mapped'],
  ['::127.0.0.1', 'ipv4_compatible'],
  ['::7f00:1', 'ipv4_compatible'],
  ['::8.8.8.8', 'ipv4_compatible'],
  ['64:ff9b::127.0.0.1', 'nat64'],
  ['64:ff9b::a9fe:a9fe', 'nat64'],
  ['64:ff9b::c0a8:1', 'nat64'],
  ['64:ff9b:1::10.0.0.1', 'nat64'], // local-use prefix, /96 layout
  ['64:ff9b:1:a00:0:100::', 'nat64'], // local-use prefix, /48 layout of 10.0.0.1
  ['2002:7f00:1::1', '6to4'],
  ['2002:a9fe:a9fe::', '6to4'],
  ['2002:c0a8:101::1', '6to4'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'], // RFC 4380 example: client 192.0.2.45
  ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'teredo'], // client 10.0.0.1
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'teredo'], // client 127.0.0.1
  ['2001:0:a00:1::f7f7:f7f7', 'teredo'], // client 8.8.8.8 via server 10.0.0.1
  // Not addresses the policy trusts
  ['fe80::1%eth0', 'scoped'],
  ['0177.0.0.1', 'invalid'],
  ['127.1', 'invalid'],
  ['2130706433', 'invalid'],
  ['example.com', 'invalid'],
  ['', 'invalid'],
];

const allowed: readonly string[] = [
  '93.184.216.34',
  '8.8.8.8',
  '1.1.1.1',
  '11.0.0.1',
  '100.63.255.255',
  '100.128.0.0',
  '126.255.255.255',
  '128.0.0.1',
  '169.253.255.255',
  '169.255.0.1',
  '172.15.255.255',
  '172.32.0.0',
  '192.0.1.255',
  '192.0.3.0',
  '192.167.255.255',
  '192.169.0.0',
  '198.17.255.255',
  '198.20.0.0',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '2001:4860:4860::8888',
  '2a00:1450:4001:81d::200e',
  '::ffff:8.8.8.8',
  '64:ff9b::8.8.8.8',
  '2002:808:808::1',
  '2001:0:4136:e378:8000:63bf:f7f7:f7f7', // Teredo, client 8.8.8.8
];

describe('address policy', () => {
  it('has at least 60 refused and 10 allowed cases', () => {
    expect(refused.length).toBeGreaterThanOrEqual(60);
    expect(allowed.length).toBeGreaterThanOrEqual(10);
  });

  it.each(refused)('refuses %s (%s)', (address, category) => {
    const verdict = policy.check(address);
    expect(verdict).toMatchObject({ allowed: false, category });
  });

  it.each(allowed)('allows public unicast %s', (address) => {
    expect(policy.check(address)).toEqual({ allowed: true });
  });

  it('names the embedded address and its range in the detail', () => {
    expect(policy.check('::ffff:127.0.0.1')).toMatchObject({
      detail: '::ffff:7f00:1 is IPv4-mapped 127.0.0.1 (loopback)',
    });
    expect(policy.check('2001:0:4136:e378:8000:63bf:f5ff:fffe')).toMatchObject({
      detail: expect.stringContaining('Teredo 10.0.0.1 (private)'),
    });
  });
});

describe('allow-list', () => {
  it.each([
    [['127.0.0.1/32'], '127.0.0.1', true],
    [['127.0.0.1/32'], '127.0.0.2', false],
    [['127.0.0.1'], '127.0.0.1', true],
    [['127.0.0.0/8'], '127.9.9.9', true],
    [['10.0.0.0/8'], '10.1.2.3', true],
    [['10.0.0.0/8'], '192.168.0.1', false],
    [['10.0.0.0/8'], '8.8.8.8', true],
    [['::1/128'], '::1', true],
    [['::1/128'], '127.0.0.1', false],
    [['fd00::/8'], 'fd12::1', true],
    // Metadata and scoped addresses stay refused whatever the allow-list says.
    [['169.254.0.0/16'], '169.254.1.1', true],
    [['169.254.0.0/16'], '169.254.169.254', false],
    [['0.0.0.0/0'], '168.63.129.16', false],
    [['::/0'], '::ffff:169.254.169.254', false],
    [['::/0'], '64:ff9b::a9fe:a9fe', false],
    [['fd00::/8'], 'fd00:ec2::254', false],
    [['fe80::/10'], 'fe80::1%eth0', false],
  ] as const)('with %j, %s allowed: %s', (cidrs, address, expected) => {
    expect(new AddressPolicy(cidrs).check(address).allowed).toBe(expected);
  });

  it.each(['nope', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/8/8', '', '10.0.0/8', '10.0.0.0/-1'])(
    'rejects the invalid CIDR %j',
    (cidr) => {
      expect(() => new AddressPolicy([cidr])).toThrow(/invalid CIDR/);
    },
  );
});

describe('ip parsing', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '::ffff:7f00:1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::', '::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ])('%s formats as %s', (text, formatted) => {
    const ip = parseIp(text);
    expect(ip && formatIp(ip)).toBe(formatted);
  });

  it('reads a bare address as a single-host CIDR', () => {
    expect(parseCidr('10.0.0.1').prefix).toBe(32);
    expect(parseCidr('::1').prefix).toBe(128);
  });
});
