import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mintApiKey } from '../accounts/api-key-format.ts';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes a request line with what identifies the request, not the whole request object', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ logLevel: 'info', logPretty: false }, stream);
    const socket = { server: { connections: 2 }, secret: 'x'.repeat(5000) };
    logger.info(
      { req: { method: 'GET', url: '/src/t/abc.webp?size=s', ip: '127.0.0.1', raw: { socket } } },
      'incoming request',
    );
    logger.info({ res: { statusCode: 200, raw: { socket } } }, 'request completed');
    expect(lines).toHaveLength(2);
    const [incoming, completed] = lines.map((line) => JSON.parse(line));
    expect(incoming.req).toEqual({
      method: 'GET',
      url: '/src/t/abc.webp?size=s',
      remote_address: '127.0.0.1',
    });
    expect(completed.res).toEqual({ status: 200 });
    for (const line of lines) expect(line.length).toBeLessThan(400);
  });

  it('writes errors with their message and stack', () => {
    const { lines, stream } = capture();
    createLogger({ logLevel: 'info', logPretty: false }, stream).error({ err: new Error('boom') }, 'failed');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.err.message).toBe('boom');
    expect(line.err.stack).toContain('logger.test.ts');
  });

  it('keeps secrets out of every part of a line: URL, message, error, headers, bindings', () => {
    const { lines, stream } = capture();
    const key = mintApiKey('img', 'live');
    const adminToken = 'configured-admin-token-0123456789';
    const logger = createLogger(
      { logLevel: 'info', logPretty: false, keyPrefix: 'img', adminToken, secret: 's'.repeat(40) },
      stream,
    );
    logger.info({ req: { method: 'GET', url: `/v1/usage?api_key=${key}&x=1`, ip: '127.0.0.1' } }, 'incoming');
    logger.info(`Route GET:/approve-key?t=abc&exp=1&sig=SiGnAtUrE not found`);
    logger.error({ err: new Error(`bad key ${key} with token ${adminToken}`) }, 'failed');
    logger.info(
      { headers: { authorization: `Bearer ${key}`, cookie: 'sid=1', 'idempotency-key': 'idem-1' } },
      'h',
    );
    logger.child({ url: '/verify?t=a&sig=ChildSig' }).warn('child');
    const all = lines.join('');
    for (const secret of [key, key.slice(9), adminToken, 'SiGnAtUrE', 'ChildSig', 'sid=1']) {
      expect(all).not.toContain(secret);
    }
    const [incoming, notFound, failed, headers, child] = lines.map((line) => JSON.parse(line));
    expect(incoming.req.url).toBe('/v1/usage?api_key=[redacted]&x=1');
    expect(notFound.msg).toBe('Route GET:/approve-key?t=[redacted]&exp=1&sig=[redacted] not found');
    expect(failed.err.message).toBe('bad key img_live_[redacted] with token [redacted]');
    expect(failed.err.stack).toContain('logger.test.ts');
    // Idempotency keys are not secrets: they stay, so a retried request can be traced.
    expect(headers.headers).toEqual({
      authorization: '[redacted]',
      cookie: '[redacted]',
      'idempotency-key': 'idem-1',
    });
    expect(child.url).toBe('/verify?t=[redacted]&sig=[redacted]');
  });

  it('pretty mode writes one line per event, errors and nested fields included, still without secrets', () => {
    const { lines, stream } = capture();
    const key = mintApiKey('img', 'live');
    const metricsToken = 'metrics-token-0123456789abcdef';
    const logger = createLogger(
      { logLevel: 'info', logPretty: true, keyPrefix: 'img', metricsToken },
      stream,
    );
    logger.info(
      { reqId: 'req_abc', req: { method: 'GET', url: `/v1/usage?api_key=${key}`, ip: '127.0.0.1' } },
      'request completed',
    );
    logger.warn({ job: 'enhancement.item', nested: { item_id: 'i1', codes: ['a', 'b'] } }, 'job finished');
    logger.error({ err: new Error(`first line\nsecond line with ${metricsToken}`) }, 'failed');
    logger.child({ reqId: 'req_child' }).info('from a child');
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR): /);
    }
    const all = lines.join('');
    expect(all).not.toContain(key.slice(9));
    expect(all).not.toContain(metricsToken);
    expect(lines[0]).toContain('INFO: (req_abc) request completed {');
    expect(lines[0]).toContain('"url":"/v1/usage?api_key=[redacted]"');
    expect(lines[1]).toContain('WARN: job finished {"job":"enhancement.item","nested":{"item_id":"i1"');
    expect(lines[2]).toContain('ERROR: failed {"err":{');
    expect(lines[2]).toContain('second line with [redacted]');
    expect(lines[3]).toContain('(req_child) from a child');
  });
});
