import { describe, expect, it } from 'vitest';
import { createSignedLinks, type SignedLinkPayload } from './signed-links.ts';

const SECRET = 'unit-test-secret-0123456789abcdefghij';
const BASE = 'https://img.example.test';
const TTL = 3600;
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);

const links = createSignedLinks({ secret: SECRET, publicUrl: BASE, ttlSeconds: TTL });

function parts(url: string): { path: string; query: { t: string; exp: string; sig: string } } {
  const parsed = new URL(url);
  return {
    path: parsed.pathname,
    query: {
      t: parsed.searchParams.get('t') ?? '',
      exp: parsed.searchParams.get('exp') ?? '',
      sig: parsed.searchParams.get('sig') ?? '',
    },
  };
}

function flipLast(text: string): string {
  return `${text.slice(0, -1)}${text.at(-1) === 'A' ? 'B' : 'A'}`;
}

const payloads: { payload: SignedLinkPayload; path: string }[] = [
  { payload: { purpose: 'verify', subject: 'acc_abc123' }, path: '/verify' },
  { payload: { purpose: 'verify-request', subject: 'acc_abc123' }, path: '/verify' },
  { payload: { purpose: 'approve', subject: 'key_xyz789' }, path: '/approve-key' },
  { payload: { purpose: 'upgrade', subject: 'acc_abc123', plan: 'pro' }, path: '/upgrade/pro' },
];

describe('signed links', () => {
  it.each(payloads)('round trip: $payload.purpose → $path', ({ payload, path }) => {
    const url = links.create(payload, NOW);
    expect(url.startsWith(`${BASE}${path}?t=`)).toBe(true);
    const { path: p, query } = parts(url);
    expect(p).toBe(path);
    expect(query.exp).toBe(String(Math.floor(NOW / 1000) + TTL));
    expect(query.sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(links.verify(path, query, NOW)).toEqual(payload);
  });

  it('the query is URL-safe as created (no re-encoding needed)', () => {
    const url = links.create({ purpose: 'verify', subject: 'acc_+/=?&' }, NOW);
    const raw = url.slice(url.indexOf('?') + 1);
    expect(raw).toMatch(/^t=[A-Za-z0-9_-]+&exp=\d+&sig=[A-Za-z0-9_-]+$/);
    const { path, query } = parts(url);
    expect(links.verify(path, query, NOW)).toEqual({ purpose: 'verify', subject: 'acc_+/=?&' });
  });

  it('subjects containing a colon survive', () => {
    const url = links.create({ purpose: 'approve', subject: 'key:with:colons' }, NOW);
    const { path, query } = parts(url);
    expect(links.verify(path, query, NOW)?.subject).toBe('key:with:colons');
  });

  describe('tampering with any part is refused', () => {
    const url = links.create({ purpose: 'verify', subject: 'acc_abc123' }, NOW);
    const { path, query } = parts(url);

    it.each([
      ['sig flipped', { ...query, sig: flipLast(query.sig) }],
      ['sig truncated', { ...query, sig: query.sig.slice(0, -1) }],
      ['sig empty', { ...query, sig: '' }],
      ['t flipped', { ...query, t: flipLast(query.t) }],
      ['t for another subject', { ...query, t: Buffer.from('verify:acc_other').toString('base64url') }],
      [
        't for another purpose',
        { ...query, t: Buffer.from('verify-request:acc_abc123').toString('base64url') },
      ],
      ['exp extended', { ...query, exp: String(Number(query.exp) + 1) }],
      ['exp shortened', { ...query, exp: String(Number(query.exp) - 1) }],
      ['exp not a number', { ...query, exp: `${query.exp}x` }],
      ['exp in exponent form', { ...query, exp: '2e9' }],
    ])('%s', (_name, tampered) => {
      expect(links.verify(path, tampered, NOW)).toBeNull();
    });

    it.each(['t', 'exp', 'sig'] as const)('missing %s', (name) => {
      const { [name]: _dropped, ...rest } = query;
      expect(links.verify(path, rest, NOW)).toBeNull();
    });

    it('repeated parameters (arrays) are refused', () => {
      expect(links.verify(path, { ...query, sig: [query.sig, query.sig] }, NOW)).toBeNull();
      expect(links.verify(path, { ...query, t: [query.t] }, NOW)).toBeNull();
    });

    it('a link signed with another secret is refused', () => {
      const other = createSignedLinks({ secret: `${SECRET}-other`, publicUrl: BASE, ttlSeconds: TTL });
      const forged = parts(other.create({ purpose: 'verify', subject: 'acc_abc123' }, NOW));
      expect(links.verify(forged.path, forged.query, NOW)).toBeNull();
    });

    it('the untampered link verifies (control)', () => {
      expect(links.verify(path, query, NOW)).not.toBeNull();
    });
  });

  describe('expiry', () => {
    const { path, query } = parts(links.create({ purpose: 'verify', subject: 'acc_abc123' }, NOW));
    const expMs = Number(query.exp) * 1000;

    it('valid until the expiry second, refused after it', () => {
      expect(links.verify(path, query, NOW + 1000)).not.toBeNull();
      expect(links.verify(path, query, expMs)).not.toBeNull();
      expect(links.verify(path, query, expMs + 1)).toBeNull();
      expect(links.verify(path, query, expMs + 86_400_000)).toBeNull();
    });

    it('the lifetime is the configured TTL (default 7 days on the server)', () => {
      const week = createSignedLinks({ secret: SECRET, publicUrl: BASE, ttlSeconds: 7 * 86_400 });
      const link = parts(week.create({ purpose: 'verify', subject: 'acc_1' }, NOW));
      expect(Number(link.query.exp)).toBe(Math.floor(NOW / 1000) + 7 * 86_400);
      expect(week.verify(link.path, link.query, NOW + 7 * 86_400_000 - 1000)).not.toBeNull();
      expect(week.verify(link.path, link.query, NOW + 8 * 86_400_000)).toBeNull();
    });

    it('a link created 8 days ago with a 7-day TTL is expired now', () => {
      const week = createSignedLinks({ secret: SECRET, publicUrl: BASE, ttlSeconds: 7 * 86_400 });
      const old = parts(week.create({ purpose: 'verify', subject: 'acc_1' }, NOW - 8 * 86_400_000));
      expect(week.verify(old.path, old.query, NOW)).toBeNull();
    });
  });

  describe('purpose and path binding', () => {
    it.each(payloads)('a $payload.purpose link verifies only at $path', ({ payload, path }) => {
      const { query } = parts(links.create(payload, NOW));
      for (const other of [
        '/verify',
        '/approve-key',
        '/upgrade/pro',
        '/upgrade/free',
        '/verify/',
        '/VERIFY',
      ]) {
        const expected = other === path ? payload : null;
        expect([other, links.verify(other, query, NOW)]).toEqual([other, expected]);
      }
    });

    it('an upgrade link is bound to its plan', () => {
      const { query } = parts(links.create({ purpose: 'upgrade', subject: 'acc_1', plan: 'pro' }, NOW));
      expect(links.verify('/upgrade/free', query, NOW)).toBeNull();
      expect(links.verify('/upgrade/pro', query, NOW)).toEqual({
        purpose: 'upgrade',
        subject: 'acc_1',
        plan: 'pro',
      });
    });

    it('plan names are path-encoded and decoded', () => {
      const url = links.create({ purpose: 'upgrade', subject: 'acc_1', plan: 'pro plus' }, NOW);
      const { path, query } = parts(url);
      expect(path).toBe('/upgrade/pro%20plus');
      expect(links.verify(path, query, NOW)?.plan).toBe('pro plus');
    });
  });
});
