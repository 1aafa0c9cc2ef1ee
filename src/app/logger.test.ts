import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
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
});
