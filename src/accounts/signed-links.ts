import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `verify` marks the email verified and is only ever mailed to the address. `verify-request` is what API responses
 * hand to whoever called: following it mails a `verify` link to the owner, so knowing an email is never enough to
 * verify it.
 */
export type LinkPurpose = 'verify' | 'verify-request' | 'approve' | 'upgrade';

export interface SignedLinkPayload {
  purpose: LinkPurpose;
  /** The account (verify, upgrade) or key (approve) the link acts on. */
  subject: string;
  /** Plan name for upgrade links. */
  plan?: string;
}

const PATHS: Record<LinkPurpose, (p: SignedLinkPayload) => string> = {
  verify: () => '/verify',
  'verify-request': () => '/verify',
  approve: () => '/approve-key',
  upgrade: (p) => `/upgrade/${encodeURIComponent(p.plan ?? '')}`,
};

/**
 * HMAC-SHA256 links (docs/api.md §2.8): `<base><path>?t=<token>&exp=<unix>&sig=<hmac>`. The signature covers the path,
 * the token and the expiry, so a link cannot be re-pointed at another purpose, subject, plan or lifetime.
 */
export function createSignedLinks(options: { secret: string; publicUrl: string; ttlSeconds: number }) {
  const sign = (path: string, token: string, exp: number) =>
    createHmac('sha256', options.secret).update(`${path}\n${token}\n${exp}`).digest('base64url');
  // Confirmation tokens get their own key, so they can never be mistaken for (or turned into) link signatures.
  const confirmationKey = createHmac('sha256', options.secret)
    .update('lightbox/link-confirmation/v1')
    .digest();
  const confirmation = (path: string, sig: string) =>
    createHmac('sha256', confirmationKey).update(`${path}\n${sig}`).digest('base64url');

  return {
    create(payload: SignedLinkPayload, now = Date.now()): string {
      const path = PATHS[payload.purpose](payload);
      const token = Buffer.from(`${payload.purpose}:${payload.subject}`).toString('base64url');
      const exp = Math.floor(now / 1000) + options.ttlSeconds;
      return `${options.publicUrl}${path}?t=${token}&exp=${exp}&sig=${sign(path, token, exp)}`;
    },

    /** The payload of a genuine, unexpired link for `path`, or null. Constant-time signature check. */
    verify(
      path: string,
      query: { t?: unknown; exp?: unknown; sig?: unknown },
      now = Date.now(),
    ): SignedLinkPayload | null {
      const { t, exp, sig } = query;
      if (typeof t !== 'string' || typeof exp !== 'string' || typeof sig !== 'string') return null;
      if (!/^\d{1,12}$/.test(exp) || t.length > 512 || sig.length > 128) return null;
      const expected = Buffer.from(sign(path, t, Number(exp)));
      const given = Buffer.from(sig);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      if (Number(exp) * 1000 < now) return null;
      const decoded = Buffer.from(t, 'base64url').toString();
      const colon = decoded.indexOf(':');
      const purpose = decoded.slice(0, colon) as LinkPurpose;
      if (!(purpose in PATHS)) return null;
      const payload: SignedLinkPayload = { purpose, subject: decoded.slice(colon + 1) };
      if (purpose === 'upgrade') payload.plan = decodeURIComponent(path.slice('/upgrade/'.length));
      return PATHS[purpose](payload) === path ? payload : null;
    },

    /**
     * The token the confirmation page of a state-changing link puts in its form: HMAC of the link's path and
     * signature under a key derived from the server secret. Only the page of that very link can hand it out, so
     * the POST that acts proves someone opened the page and chose to submit it; stateless (no cookie, no row).
     */
    confirmationToken(path: string, sig: string): string {
      return confirmation(path, sig);
    },

    /** Whether `token` is the confirmation token of the link signed `sig` at `path`. Constant time. */
    confirms(path: string, sig: unknown, token: unknown): boolean {
      if (typeof sig !== 'string' || typeof token !== 'string' || token.length > 128) return false;
      const expected = Buffer.from(confirmation(path, sig));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

export type SignedLinks = ReturnType<typeof createSignedLinks>;
