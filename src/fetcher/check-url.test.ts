import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FetchFailureReason } from './fetch-result.ts';
import { SafeFetcher } from './safe-fetcher.ts';
import { installLoopbackGuard, stubResolver } from './test-support.ts';
import { acceptRedirect, MAX_URL_LENGTH } from './url-rules.ts';

// Public addresses appear only as resolver answers here; nothing in this file connects anywhere
// except the refused-before-connect fetches, which the guard would catch if they did.
const resolver = stubResolver({
  'public.test': ['93.184.216.34'],
  'v6public.test': ['2606:2800:220:1:248:1893:25c8:1946'],
  'dualpublic.test': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  localhost: ['127.0.0.1', '::1'],
  'metadata.google.internal': ['169.254.169.254'],
  'internal.test': ['10.0.0.1'],
  'mixed.test': ['93.184.216.34', '10.0.0.1'],
  'mixed-last.test': ['93.184.216.34', '8.8.8.8', '::1'],
  'v6local.test': ['fd12::1'],
  'mapped.test': ['::ffff:192.168.0.1'],
  'nat64.test': ['64:ff9b::a9fe:a9fe'],
  '127.0.0.1.nip.io': ['127.0.0.1'],
  'cgnat.test': ['100.64.1.1'],
  'scoped.test': ['fe80::1%eth0'],
  'garbage.test': ['not-an-ip'],
  'octal.test': ['0177.0.0.1'],
  'empty.test': [],
  'servfail.test': Object.assign(new Error('queryA ESERVFAIL servfail.test'), { code: 'ESERVFAIL' }),
});

const fetcher = new SafeFetcher({ resolver });

const refusedUrls: readonly (readonly [string, FetchFailureReason])[] = [
  // Scheme, userinfo, length, syntax
  ['ftp://public.test/file', 'invalid_url'],
  ['file:///etc/passwd', 'invalid_url'],
  ['gopher://public.test:70/', 'invalid_url'],
  ['javascript:alert(1)', 'invalid_url'],
  ['data:image/png;base64,iVBORw0KGgo=', 'invalid_url'],
  ['ws://public.test/', 'invalid_url'],
  ['http://user:pass@public.test/', 'invalid_url'],
  ['http://user@public.test/', 'invalid_url'],
  ['http://:secret@public.test/', 'invalid_url'],
  ['http://127.0.0.1:80@public.test/', 'invalid_url'],
  [`http://public.test/${'a'.repeat(MAX_URL_LENGTH)}`, 'invalid_url'],
  ['not a url', 'invalid_url'],
  ['', 'invalid_url'],
  ['http://', 'invalid_url'],
  ['http://[::1/', 'invalid_url'],
  ['http://1.2.3.4.5/', 'invalid_url'],
  ['http://4294967296/', 'invalid_url'],
  ['http://public.test:99999/', 'invalid_url'],
  // IPv4 literals in every notation WHATWG normalises
  ['http://127.0.0.1/', 'blocked'],
  ['http://2130706433/', 'blocked'],
  ['http://0177.0.0.1/', 'blocked'],
  ['http://0x7f.1/', 'blocked'],
  ['http://0x7f.0x0.0x0.0x1/', 'blocked'],
  ['http://127.1/', 'blocked'],
  ['http://0x7f000001/', 'blocked'],
  ['http://017700000001/', 'blocked'],
  ['http://127.0.0.1./', 'blocked'],
  ['http://%31%32%37.0.0.1/', 'blocked'],
  ['http://１２７.０.０.１/', 'blocked'],
  ['HTTP://127.0.0.1:8080/x', 'blocked'],
  ['http://0/', 'blocked'],
  ['http://0.0.0.0/', 'blocked'],
  ['http://0x/', 'blocked'],
  ['http://10.0.0.1/', 'blocked'],
  ['http://012.0.0.1/', 'blocked'],
  ['http://172.16.0.1/', 'blocked'],
  ['http://192.168.1.1:8080/', 'blocked'],
  ['http://169.254.169.254/latest/meta-data/', 'blocked'],
  ['http://2852039166/', 'blocked'],
  ['http://0xa9fea9fe/', 'blocked'],
  ['http://0251.0376.0251.0376/', 'blocked'],
  ['http://168.63.129.16/', 'blocked'],
  ['http://100.100.100.200/', 'blocked'],
  ['http://100.64.0.1/', 'blocked'],
  ['http://198.18.0.1/', 'blocked'],
  ['http://192.0.2.1/', 'blocked'],
  ['http://224.0.0.1/', 'blocked'],
  ['http://240.0.0.1/', 'blocked'],
  ['http://255.255.255.255/', 'blocked'],
  ['https://127.0.0.1:8443/', 'blocked'],
  // IPv6 literals
  ['http://[::1]/', 'blocked'],
  ['http://[0:0:0:0:0:0:0:1]/', 'blocked'],
  ['http://[::]/', 'blocked'],
  ['http://[::ffff:127.0.0.1]/', 'blocked'],
  ['http://[::ffff:7f00:1]/', 'blocked'],
  ['http://[0:0:0:0:0:ffff:127.0.0.1]/', 'blocked'],
  ['http://[::ffff:169.254.169.254]/', 'blocked'],
  ['http://[::127.0.0.1]/', 'blocked'],
  ['http://[fe80::1]/', 'blocked'],
  ['http://[fe80::1%25eth0]/', 'blocked'],
  ['http://[fe80::1%eth0]/', 'blocked'],
  ['http://[fc00::1]/', 'blocked'],
  ['http://[fd00:ec2::254]/latest/meta-data/', 'blocked'],
  ['http://[fec0::1]/', 'blocked'],
  ['http://[ff02::1]/', 'blocked'],
  ['http://[2001:db8::1]/', 'blocked'],
  ['http://[64:ff9b::169.254.169.254]/', 'blocked'],
  ['http://[64:ff9b:1::a00:1]/', 'blocked'],
  ['http://[2002:7f00:1::]/', 'blocked'],
  ['http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/', 'blocked'],
  ['http://[4000::1]/', 'blocked'],
  // Names whose answers are refused (any one refused answer refuses the host)
  ['http://localhost/', 'blocked'],
  ['http://LOCALHOST:3000/', 'blocked'],
  ['http://metadata.google.internal/computeMetadata/v1/', 'blocked'],
  ['http://internal.test/', 'blocked'],
  ['http://mixed.test/', 'blocked'],
  ['https://mixed-last.test/', 'blocked'],
  ['http://v6local.test/', 'blocked'],
  ['http://mapped.test/', 'blocked'],
  ['http://nat64.test/', 'blocked'],
  ['http://127.0.0.1.nip.io/', 'blocked'],
  ['http://cgnat.test/', 'blocked'],
  ['http://scoped.test/', 'blocked'],
  ['http://garbage.test/', 'blocked'],
  ['http://octal.test/', 'blocked'],
  // Names that do not resolve
  ['http://nxdomain.test/', 'dns_failed'],
  ['http://empty.test/', 'dns_failed'],
  ['http://servfail.test/', 'dns_failed'],
];

const allowedUrls: readonly (readonly [string, readonly string[]])[] = [
  ['http://public.test/', ['93.184.216.34']],
  ['https://public.test/path?q=1#frag', ['93.184.216.34']],
  ['HTTP://PUBLIC.TEST:8080/x', ['93.184.216.34']],
  ['https://v6public.test/', ['2606:2800:220:1:248:1893:25c8:1946']],
  ['https://dualpublic.test/', ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']],
  ['http://93.184.216.34/', ['93.184.216.34']],
  ['http://1572395042/', ['93.184.216.34']],
  ['http://[2606:4700:4700::1111]/', ['2606:4700:4700::1111']],
  ['http://[::ffff:8.8.8.8]/', ['::ffff:808:808']],
  ['http://[64:ff9b::8.8.8.8]/', ['64:ff9b::808:808']],
  [`http://public.test/${'a'.repeat(MAX_URL_LENGTH - 'http://public.test/'.length)}`, ['93.184.216.34']],
];

describe('checkUrl', () => {
  it('covers at least 60 refused and 10 allowed URLs', () => {
    expect(refusedUrls.length).toBeGreaterThanOrEqual(60);
    expect(allowedUrls.length).toBeGreaterThanOrEqual(10);
  });

  it.each(refusedUrls)('refuses %s as %s', async (url, reason) => {
    const result = await fetcher.checkUrl(url);
    expect(result).toMatchObject({ ok: false, reason });
  });

  it.each(allowedUrls)('accepts %s (addresses %j)', async (url, addresses) => {
    const result = await fetcher.checkUrl(url);
    expect(result).toMatchObject({ ok: true, addresses });
  });

  it('normalises the URL it accepts', async () => {
    expect(await fetcher.checkUrl('HTTP://PUBLIC.TEST:80/a/../b')).toMatchObject({
      ok: true,
      url: 'http://public.test/b',
    });
  });

  it('httpsOnly refuses http and accepts https', async () => {
    expect(await fetcher.checkUrl('http://public.test/', { httpsOnly: true })).toMatchObject({
      ok: false,
      reason: 'invalid_url',
      message: 'URL must use https',
    });
    expect(await fetcher.checkUrl('https://public.test/', { httpsOnly: true })).toMatchObject({ ok: true });
  });

  it('does not tell the caller which internal address a name resolved to', async () => {
    const result = await fetcher.checkUrl('http://internal.test/');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toBe('internal.test resolves to a non-public address');
    expect(result.detail).toContain('10.0.0.1');
  });

  it('bounds DNS time', async () => {
    const slow = new SafeFetcher({ resolver: () => new Promise(() => {}) });
    const started = Date.now();
    expect(await slow.checkUrl('https://slow.test/', { timeoutMs: 100 })).toMatchObject({
      reason: 'timeout',
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('applies the allow-list to literals and names alike', async () => {
    const loopback = new SafeFetcher({ resolver, allowCidrs: ['127.0.0.1/32'] });
    expect(await loopback.checkUrl('http://127.0.0.1/')).toMatchObject({ ok: true });
    expect(await loopback.checkUrl('http://2130706433/')).toMatchObject({
      ok: true,
      url: 'http://127.0.0.1/',
    });
    expect(await loopback.checkUrl('http://127.0.0.2/')).toMatchObject({ reason: 'blocked' });
    // localhost also answers ::1, which the allow-list does not cover.
    expect(await loopback.checkUrl('http://localhost/')).toMatchObject({ reason: 'blocked' });
    expect(await loopback.checkUrl('http://169.254.169.254/')).toMatchObject({ reason: 'blocked' });
  });

  it('refuses a bad allow-list at construction', () => {
    expect(() => new SafeFetcher({ allowCidrs: ['127.0.0.1/40'] })).toThrow(/invalid CIDR "127.0.0.1\/40"/);
  });
});

describe('redirect targets', () => {
  const base = new URL('https://public.test/start');
  it.each([
    ['http://public.test/', true],
    ['file:///etc/passwd', false],
    ['gopher://public.test/', false],
    ['//user:pw@public.test/', false],
    [`/${'a'.repeat(MAX_URL_LENGTH)}`, false],
    ['http://[fe80::1%25lo]/', false],
  ] as const)('%s with httpsOnly is refused as blocked', (location, httpsOnly) => {
    expect(acceptRedirect(location, base, httpsOnly)).toMatchObject({ ok: false, reason: 'blocked' });
  });

  it('resolves relative locations against the redirecting URL', () => {
    const accepted = acceptRedirect('../next?x=1', new URL('https://public.test/a/b/c'), true);
    expect(accepted.ok && accepted.url.href).toBe('https://public.test/a/next?x=1');
  });
});

describe('fetch refuses before connecting', () => {
  let guard: ReturnType<typeof installLoopbackGuard>;
  beforeAll(() => {
    guard = installLoopbackGuard();
  });
  afterEach(() => {
    expect(guard.violations).toEqual([]);
  });
  afterAll(() => guard.restore());

  it.each(refusedUrls)('%s → %s', async (url, reason) => {
    const result = await fetcher.fetch(url, { timeoutMs: 2000 });
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('refuses http in httpsOnly mode without resolving', async () => {
    const before = resolver.calls.length;
    expect(
      await fetcher.fetch('http://public.test/hook', { method: 'POST', body: '{}', httpsOnly: true }),
    ).toMatchObject({ ok: false, reason: 'invalid_url' });
    expect(resolver.calls.length).toBe(before);
  });
});
