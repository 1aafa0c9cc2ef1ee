import { describe, expect, it } from 'vitest';
import { mintApiKey } from '../accounts/api-key-format.ts';
import { redactQuerySecrets } from '../lib/log.ts';
import { newMediaToken } from '../media/media-repo.ts';
import { createRedactor } from './redact.ts';

const redact = createRedactor({ keyPrefix: 'img' });

describe('redactQuerySecrets', () => {
  it.each([
    ['/v1/usage?api_key=img_live_abc', '/v1/usage?api_key=[redacted]'],
    [
      '/approve-key?t=YXBw&exp=1700000000&sig=Zm9v_-',
      '/approve-key?t=[redacted]&exp=1700000000&sig=[redacted]',
    ],
    [
      '/x?a=1&KEY=v&token=w&secret=x&password=y#frag',
      '/x?a=1&KEY=[redacted]&token=[redacted]&secret=[redacted]&password=[redacted]#frag',
    ],
    ['"url":"/verify?sig=abc","x":1', '"url":"/verify?sig=[redacted]","x":1'],
  ])('%s', (input, expected) => {
    expect(redactQuerySecrets(input)).toBe(expected);
  });

  it('leaves other parameters, look-alike names and the src transform signature alone', () => {
    for (const text of [
      '/src/t/abc.webp?size=s&w=100',
      '/x?monkey=1&tokens=2&sigma=3',
      '/src/tok/med.webp?w=10&s=AbCdEf',
      'key=value outside a query string',
    ]) {
      expect(redactQuerySecrets(text)).toBe(text);
    }
  });
});

describe('createRedactor', () => {
  const key = mintApiKey('img', 'live');
  const testKey = mintApiKey('img', 'test');

  it('redacts API keys anywhere in a text, well-formed or not, whatever the prefix', () => {
    const out = redact(
      `invalid key ${key} and ${testKey}; short img_live_abc; other prefix ${mintApiKey('acme', 'live')}`,
    );
    expect(out).not.toContain(key.slice(9));
    expect(out).not.toContain(testKey.slice(9));
    expect(out).toBe(
      'invalid key img_live_[redacted] and img_test_[redacted]; short img_live_[redacted]; other prefix acme_live_[redacted]',
    );
  });

  it('redacts admin tokens, bearer credentials, basic credentials and URL passwords', () => {
    expect(redact('token lbadm_AbC-d_e9 in use')).toBe('token lbadm_[redacted] in use');
    expect(redact('authorization: Bearer opaque.value-1')).toBe('authorization: Bearer [redacted]');
    expect(redact('Authorization: Basic dXNlcjpzZWNyZXQ=')).toBe('Authorization: Basic [redacted]');
    expect(redact('connect postgres://lightbox:hunter22@db:5432/x failed')).toBe(
      'connect postgres://lightbox:[redacted]@db:5432/x failed',
    );
    expect(redact('smtps://user%40x:p%2Fw@mail.test')).toBe('smtps://user%40x:[redacted]@mail.test');
  });

  it('redacts web session ids and sign-in link tokens anywhere, and CSRF tokens in headers, fields and URLs', () => {
    const session = `lbsess_${'A1b2_C3-d4'.repeat(4)}xyz`;
    const signIn = `lbsign_${'Zz9-y_8'.repeat(6)}q`;
    expect(redact(`cookie lightbox_session=${session}; x=1`)).toBe(
      'cookie lightbox_session=lbsess_[redacted]; x=1',
    );
    expect(redact(`GET /sign-in/continue?token=${signIn}`)).toBe('GET /sign-in/continue?token=[redacted]');
    expect(redact(`failed for ${signIn}.`)).toBe('failed for lbsign_[redacted].');
    expect(redact('/sign-out?csrf=abc123&x=1')).toBe('/sign-out?csrf=[redacted]&x=1');
    const line = JSON.stringify({ headers: { 'x-csrf-token': 'tok' }, csrf: 'tok2', session_id: 'sid' });
    expect(JSON.parse(redact(line))).toEqual({
      headers: { 'x-csrf-token': '[redacted]' },
      csrf: '[redacted]',
      session_id: '[redacted]',
    });
    expect(redact('lbsessions and lbsign-up stay')).toBe('lbsessions and lbsign-up stay');
  });

  it('redacts configured literal secrets, also as they appear JSON-escaped', () => {
    const r = createRedactor({ literals: ['my "admin" token value', undefined, 'short'] });
    expect(r('x my "admin" token value y')).toBe('x [redacted] y');
    expect(r(JSON.stringify({ msg: 'x my "admin" token value y' }))).toBe('{"msg":"x [redacted] y"}');
    expect(r('short stays')).toBe('short stays');
  });

  it('redacts credential-named fields of a JSON line', () => {
    const line = JSON.stringify({
      headers: { authorization: 'x y', cookie: 'sid=1' },
      password: 'p\\"q',
      ok: 'v',
    });
    expect(JSON.parse(redact(line))).toEqual({
      headers: { authorization: '[redacted]', cookie: '[redacted]' },
      password: '[redacted]',
      ok: 'v',
    });
  });

  it('cuts the media token out of src paths, and leaves source folders of a stack trace alone', () => {
    const withSrc = createRedactor({ srcPath: '/src' });
    const token = newMediaToken();
    expect(withSrc(`GET /src/${token}/AbCd1234.webp?w=100`)).toBe('GET /src/[redacted]/AbCd1234.webp?w=100');
    expect(withSrc(`"url":"http://127.0.0.1:3000/src/${token}/x.jpg"`)).not.toContain(token);
    const stack = 'at probeReadiness (/work/main/src/operations/system-status.ts:27:31)';
    expect(withSrc(stack)).toBe(stack);
    expect(withSrc('at x (/repo/src/enhancements/create-enhancement.ts:1:1)')).toContain('src/enhancements/');
  });

  it('keeps a line valid JSON, and text without secrets unchanged', () => {
    const line = `${JSON.stringify({
      msg: `Route GET:/verify?t=a&exp=1&sig=b not found ${key}`,
      err: { stack: `Error: bad\n    at /x?api_key=${key}` },
      url: '/src/t/abc.webp?size=s',
    })}\n`;
    const out = redact(line);
    expect(out.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(out);
    expect(parsed.msg).toBe(
      'Route GET:/verify?t=[redacted]&exp=1&sig=[redacted] not found img_live_[redacted]',
    );
    expect(parsed.err.stack).toBe('Error: bad\n    at /x?api_key=[redacted]');
    expect(parsed.url).toBe('/src/t/abc.webp?size=s');
    const plain =
      '{"level":30,"msg":"request completed","res":{"status":200},"reqId":"req_abc","keys":"img"}';
    expect(redact(plain)).toBe(plain);
    expect(redact(redact(line))).toBe(out);
  });
});
