import { expect, it } from 'vitest';
import { describeOnEachDialect } from '../../test/support/databases.ts';
import { ensureAccount } from '../accounts/accounts-store.ts';
import { createMemoryLimiter } from '../limiter/memory-limiter.ts';
import type { Mail } from '../mail/mail.ts';
import { resolveOperatorSession, signInOperator } from './operator-sessions.ts';
import { createCsrf, hashSecret } from './secrets.ts';
import { endAllSessions, resolveSession, startSession, sweepWebSessions } from './sessions.ts';
import { completeSignIn, requestSignIn, safeNextPath } from './sign-in.ts';

describeOnEachDialect('web sign-in and sessions', (store) => {
  const config = {
    publicUrl: 'https://lightbox.example.test',
    signInPerEmailPerHour: 100,
    signInPerIpPerHour: 100,
    sessionIdleMinutes: 30,
    sessionMaxHours: 2,
  };
  const sent: Mail[] = [];
  const deps = () => ({
    store: store(),
    config,
    limiter: createMemoryLimiter(),
    mailer: { send: async (mail: Mail) => void sent.push(mail), list: async () => [] },
  });
  const newAccount = async () =>
    (
      await store().transaction((tx) =>
        ensureAccount(tx, { email: `${crypto.randomUUID()}@example.test`, plan: 'free' }),
      )
    ).account;
  const linkTokenFor = async (email: string) => {
    await requestSignIn(deps(), { email, ip: '192.0.2.1' });
    const url = sent.filter((m) => m.to === email).at(-1)?.links[0]?.url ?? '';
    return new URL(url).searchParams.get('token') ?? '';
  };

  it('a link is spent exactly once, however many requests race for it', async () => {
    const account = await newAccount();
    const token = await linkTokenFor(account.email);
    const results = await Promise.all(Array.from({ length: 8 }, () => completeSignIn(deps(), token)));
    expect(results.filter(Boolean)).toEqual([{ accountId: account.id, next: null }]);
  });

  it('a session lives until it is idle or old; sign-out everywhere ends every one; the sweep removes old rows', async () => {
    const account = await newAccount();
    const t0 = Date.now();
    const id = await startSession(deps(), { accountId: account.id }, t0);
    const other = await startSession(deps(), { accountId: account.id }, t0);
    expect((await resolveSession(deps(), id, t0 + 29 * 60_000))?.account.id).toBe(account.id);
    // Seen at +29 min: idle counts from there (the touch is written at most once a minute).
    expect(await resolveSession(deps(), id, t0 + 58 * 60_000)).not.toBeNull();
    expect(await resolveSession(deps(), id, t0 + 2 * 3_600_000)).toBeNull();
    expect(await endAllSessions(deps(), account.id)).toBe(1);
    expect(await resolveSession(deps(), other, t0)).toBeNull();
    await startSession(deps(), { accountId: account.id }, t0 - 3 * 3_600_000);
    expect(await sweepWebSessions(store(), t0)).toBeGreaterThanOrEqual(1);
    const rows = await store()
      .db.selectFrom('web_sessions')
      .select('id_hash')
      .where('account_id', '=', account.id)
      .execute();
    expect(rows).toEqual([]);
    expect(hashSecret(id)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describeOnEachDialect('operator sessions', (store) => {
  const adminToken = `lbadm_${'t'.repeat(32)}`;
  const deps = (token = adminToken) => ({
    store: store(),
    limiter: createMemoryLimiter(),
    adminToken: token,
    config: { adminSignInPerIpPerHour: 100, adminSessionIdleMinutes: 30, adminSessionMaxHours: 8 },
  });

  it('start only with the admin token; never open owner pages, and owner sessions never open operator ones', async () => {
    for (const token of ['', 'x', `${adminToken}x`, adminToken.slice(0, -1), undefined, 42]) {
      await expect(signInOperator(deps(), { token, ip: '192.0.2.9' })).rejects.toMatchObject({
        code: 'invalid_api_key',
      });
    }
    const t0 = Date.now();
    const id = await signInOperator(deps(), { token: adminToken, ip: '192.0.2.9' }, t0);
    expect((await resolveOperatorSession(deps(), id, t0))?.row).toMatchObject({
      kind: 'operator',
      account_id: null,
    });
    // Neither the id nor its plain SHA-256 is stored: an owner lookup of the same id finds nothing.
    expect(
      await resolveSession(
        { store: store(), config: { sessionIdleMinutes: 30, sessionMaxHours: 2 } },
        id,
        t0,
      ),
    ).toBeNull();
    const rows = await store()
      .db.selectFrom('web_sessions')
      .select('id_hash')
      .where('kind', '=', 'operator')
      .execute();
    expect(rows.map((r) => r.id_hash)).not.toContain(hashSecret(id));
    expect(JSON.stringify(rows)).not.toContain(id);

    const account = (
      await store().transaction((tx) =>
        ensureAccount(tx, { email: `${crypto.randomUUID()}@example.test`, plan: 'free' }),
      )
    ).account;
    const owner = await startSession(
      { store: store(), config: { sessionIdleMinutes: 30, sessionMaxHours: 2 } },
      { accountId: account.id },
      t0,
    );
    expect(await resolveOperatorSession(deps(), owner, t0)).toBeNull();
  });

  it('expire when idle or old, rotate at sign-in, and all end when the admin token changes', async () => {
    const t0 = Date.now();
    const id = await signInOperator(deps(), { token: adminToken, ip: '192.0.2.10' }, t0);
    expect(await resolveOperatorSession(deps(), id, t0 + 29 * 60_000)).not.toBeNull();
    expect(await resolveOperatorSession(deps(), id, t0 + 29 * 60_000 + 30 * 60_000)).toBeNull();

    const old = await signInOperator(deps(), { token: adminToken, ip: '192.0.2.10' }, t0);
    expect(await resolveOperatorSession(deps(), old, t0 + 7 * 3_600_000 + 29 * 60_000)).toBeNull();

    const first = await signInOperator(deps(), { token: adminToken, ip: '192.0.2.10' }, t0);
    const second = await signInOperator(
      deps(),
      { token: adminToken, ip: '192.0.2.10', replacing: first },
      t0,
    );
    expect(second).not.toBe(first);
    expect(await resolveOperatorSession(deps(), first, t0)).toBeNull();
    expect(await resolveOperatorSession(deps(), second, t0)).not.toBeNull();

    // The token was rotated (it leaked): sessions started with the old one are worth nothing.
    expect(await resolveOperatorSession(deps(`lbadm_${'n'.repeat(32)}`), second, t0)).toBeNull();
  });

  it('are limited per IP, right token or wrong', async () => {
    const limited = { ...deps(), config: { ...deps().config, adminSignInPerIpPerHour: 2 } };
    await signInOperator(limited, { token: adminToken, ip: '198.51.100.1' });
    await expect(signInOperator(limited, { token: 'wrong', ip: '198.51.100.1' })).rejects.toMatchObject({
      code: 'invalid_api_key',
    });
    await expect(signInOperator(limited, { token: adminToken, ip: '198.51.100.1' })).rejects.toMatchObject({
      code: 'rate_limit_exceeded',
    });
    await signInOperator(limited, { token: adminToken, ip: '198.51.100.2' });
  });
});

it('safeNextPath keeps paths on this server only', () => {
  for (const ok of ['/keys', '/dashboard?x=1', '/a/b%20c']) expect(safeNextPath(ok)).toBe(ok);
  for (const bad of [
    '//evil',
    '/\\evil',
    'https://evil',
    'keys',
    '',
    '/x y',
    '/"><script>',
    7,
    null,
    `/${'a'.repeat(600)}`,
  ]) {
    expect(safeNextPath(bad)).toBeNull();
  }
});

it('CSRF tokens belong to one session and one server secret, and are compared whole', () => {
  const csrf = createCsrf('s'.repeat(32));
  const token = csrf.tokenOf('lbsess_a');
  expect(csrf.check('lbsess_a', token)).toBe(true);
  expect(csrf.check('lbsess_b', token)).toBe(false);
  expect(createCsrf('t'.repeat(32)).check('lbsess_a', token)).toBe(false);
  for (const bad of [token.slice(0, -1), `${token}x`, '', undefined, 42, 'x'.repeat(500)]) {
    expect(csrf.check('lbsess_a', bad)).toBe(false);
  }
});
