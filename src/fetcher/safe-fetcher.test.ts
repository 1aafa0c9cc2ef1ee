import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SafeFetcher } from './safe-fetcher.ts';
import {
  installLoopbackGuard,
  JPEG_BYTES,
  PNG_BYTES,
  startHttpServer,
  startRawServer,
  stubResolver,
  type TestServer,
} from './test-support.ts';

// Every server here listens on 127.0.0.0/8, every name is answered by a stub resolver, and the
// guard fails the test on any connect that would leave loopback.
let guard: ReturnType<typeof installLoopbackGuard>;
let server: TestServer;
let endlessWritten = 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function writeForever(response: ServerResponse, counter: (bytes: number) => void): Promise<void> {
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  while (!response.destroyed && !response.writableEnded) {
    counter(chunk.length);
    if (!response.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          response.off('drain', done);
          response.off('close', done);
          resolve();
        };
        response.on('drain', done);
        response.on('close', done);
      });
    }
  }
}

function route(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://x');
  const [, name, arg] = url.pathname.split('/');
  switch (name) {
    case 'ok':
      response.end('hello');
      return;
    case 'png':
      response.writeHead(200, { 'content-type': 'image/png; charset=binary' }).end(PNG_BYTES);
      return;
    case 'png-as-jpeg':
      response.writeHead(200, { 'content-type': 'image/jpeg' }).end(PNG_BYTES);
      return;
    case 'jpeg-untyped':
      response.end(JPEG_BYTES);
      return;
    case 'html':
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
      return;
    case 'redirect':
      response.writeHead(Number(url.searchParams.get('status') ?? 302), {
        location: url.searchParams.get('to') ?? '/ok',
      });
      response.end('moved');
      return;
    case 'chain': {
      const left = Number(arg);
      if (left > 0) response.writeHead(302, { location: `/chain/${left - 1}` }).end();
      else response.end('end of chain');
      return;
    }
    case 'slow-chain': {
      const left = Number(arg);
      setTimeout(() => {
        if (left > 0) response.writeHead(302, { location: `/slow-chain/${left - 1}` }).end();
        else response.end('end');
      }, 150);
      return;
    }
    case 'echo': {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            method: request.method,
            headers: request.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
      return;
    }
    case 'status':
      response.writeHead(Number(arg)).end(`failure ${arg}`);
      return;
    case 'slow-headers':
      return; // never answers
    case 'slow-body':
      response.writeHead(200, { 'content-type': 'image/png' });
      response.write(PNG_BYTES); // then nothing, forever
      return;
    case 'exact':
      response.end(Buffer.alloc(Number(arg), 0x62));
      return;
    case 'endless':
      response.writeHead(200, { 'content-type': 'image/png' });
      response.write(PNG_BYTES);
      void writeForever(response, (bytes) => {
        endlessWritten += bytes;
      });
      return;
    case 'ranged': {
      // 10 000 bytes, 0..255 repeating; honours `Range: bytes=<n>-` unless ?ignore, answers a wrong start with ?wrong.
      const whole = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 256));
      const asked = /^bytes=(\d+)-$/.exec(String(request.headers.range ?? ''));
      if (!asked || url.searchParams.has('ignore')) {
        response.writeHead(200, { 'content-length': String(whole.length) }).end(whole);
        return;
      }
      const from = Number(asked[1]) + (url.searchParams.has('wrong') ? 1 : 0);
      response.writeHead(206, {
        'content-range': `bytes ${from}-${whole.length - 1}/${whole.length}`,
        'content-length': String(whole.length - from),
      });
      response.end(whole.subarray(from));
      return;
    }
    case 'cut': {
      // Declares 10 000 bytes, sends 4 000, then stalls (?stall) or drops the connection.
      response.writeHead(200, { 'content-length': '10000' });
      response.write(Buffer.alloc(4000, 0x63));
      if (!url.searchParams.has('stall')) setTimeout(() => response.destroy(), 20);
      return;
    }
    case 'big-declared':
      response.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      void writeForever(response, () => {});
      return;
    default:
      response.writeHead(404).end('not found');
  }
}

beforeAll(async () => {
  guard = installLoopbackGuard();
  server = await startHttpServer(route);
});

afterEach(() => {
  expect(guard.violations).toEqual([]);
});

afterAll(async () => {
  await server.close();
  guard.restore();
});

describe('the loopback guard of this suite', () => {
  // 0.0.0.0 is outside what the guard accepts yet, if the guard failed, would only reach this machine.
  it('refuses a connect to a literal outside loopback, and one through a lookup', async () => {
    expect(() => connect({ host: '0.0.0.0', port: 9 })).toThrow(/loopback guard/);
    const socket = connect({
      host: 'guard.test',
      port: 9,
      lookup: (_h, _o, callback) => callback(null, '0.0.0.0', 4),
    });
    const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
    expect(error.message).toMatch(/loopback guard/);
    expect(guard.violations.splice(0)).toEqual(['connect to 0.0.0.0', 'connect to 0.0.0.0 for guard.test']);
  });
});

const loopbackOnly = (resolver = stubResolver({})) =>
  new SafeFetcher({ allowCidrs: ['127.0.0.1/32'], resolver });

describe('basic requests on loopback (allow-listed)', () => {
  it('GETs a body with status, headers and final URL', async () => {
    const result = await loopbackOnly().fetch(`${server.origin}/ok`);
    expect(result).toMatchObject({ ok: true, status: 200, url: `${server.origin}/ok`, truncated: false });
    expect(result.ok && result.body.toString()).toBe('hello');
    expect(result.ok && result.headers['content-length']).toBe('5');
  });

  it('refuses loopback without the allow-list, before connecting', async () => {
    const hits = server.hits.length;
    const result = await new SafeFetcher({ resolver: stubResolver({}) }).fetch(`${server.origin}/ok`);
    expect(result).toMatchObject({ ok: false, reason: 'blocked' });
    expect(server.hits.length).toBe(hits);
  });

  it('reports a non-2xx status as http_status by default', async () => {
    const result = await loopbackOnly().fetch(`${server.origin}/status/404`);
    expect(result).toEqual({ ok: false, reason: 'http_status', status: 404, message: 'URL returned 404' });
  });

  it('with requireOk: false returns any completed response (webhooks record it)', async () => {
    const result = await loopbackOnly().fetch(`${server.origin}/status/500`, { requireOk: false });
    expect(result).toMatchObject({ ok: true, status: 500 });
    expect(result.ok && result.body.toString()).toBe('failure 500');
  });

  it('reports a refused connection as unreachable', async () => {
    const closed = await startHttpServer(route);
    await closed.close();
    const result = await loopbackOnly().fetch(`${closed.origin}/ok`);
    expect(result).toMatchObject({
      ok: false,
      reason: 'unreachable',
      message: 'URL unreachable (ECONNREFUSED)',
    });
  });
});

describe('POST (webhooks)', () => {
  it('sends the body and headers, and keeps the fetcher in charge of framing headers', async () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'enhancement.completed' });
    const result = await loopbackOnly().fetch(`${server.origin}/echo`, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': 'application/json',
        'X-Aigen-Signature': 'v1=abc',
        Host: 'evil.test',
        'Content-Length': '1',
      },
      maxRedirects: 0,
      requireOk: false,
    });
    expect(result).toMatchObject({ ok: true, status: 200 });
    const echoed = JSON.parse(result.ok ? result.body.toString() : '{}');
    expect(echoed.method).toBe('POST');
    expect(echoed.body).toBe(body);
    expect(echoed.headers['content-type']).toBe('application/json');
    expect(echoed.headers['x-aigen-signature']).toBe('v1=abc');
    expect(echoed.headers.host).toBe(`127.0.0.1:${server.port}`);
    expect(echoed.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('does not follow a redirect with maxRedirects 0: a 3xx is just a non-2xx result', async () => {
    const hits = server.hits.length;
    const result = await loopbackOnly().fetch(`${server.origin}/redirect?to=/echo`, {
      method: 'POST',
      body: '{}',
      maxRedirects: 0,
      requireOk: false,
    });
    expect(result).toMatchObject({ ok: true, status: 302 });
    expect(server.hits.length).toBe(hits + 1);
  });

  it('turns POST into GET after 303, keeps POST and body after 307', async () => {
    const fetcher = loopbackOnly();
    const after303 = await fetcher.fetch(`${server.origin}/redirect?status=303&to=/echo`, {
      method: 'POST',
      body: 'x=1',
    });
    expect(JSON.parse(after303.ok ? after303.body.toString() : '{}')).toMatchObject({
      method: 'GET',
      body: '',
    });
    const after307 = await fetcher.fetch(`${server.origin}/redirect?status=307&to=/echo`, {
      method: 'POST',
      body: 'x=1',
    });
    expect(JSON.parse(after307.ok ? after307.body.toString() : '{}')).toMatchObject({
      method: 'POST',
      body: 'x=1',
    });
  });

  it('refuses a GET with a body (a caller bug)', async () => {
    await expect(loopbackOnly().fetch(`${server.origin}/ok`, { body: 'x' })).rejects.toThrow(TypeError);
  });
});

describe('redirects', () => {
  it('follows a redirect and reports the final URL', async () => {
    const result = await loopbackOnly().fetch(`${server.origin}/redirect?to=/ok`);
    expect(result).toMatchObject({ ok: true, status: 200, url: `${server.origin}/ok` });
  });

  it('follows exactly maxRedirects and refuses one more', async () => {
    const fetcher = loopbackOnly();
    expect(await fetcher.fetch(`${server.origin}/chain/3`, { maxRedirects: 3 })).toMatchObject({ ok: true });
    const hits = server.hits.length;
    expect(await fetcher.fetch(`${server.origin}/chain/4`, { maxRedirects: 3 })).toMatchObject({
      ok: false,
      reason: 'too_many_redirects',
      status: 302,
    });
    expect(server.hits.length).toBe(hits + 4); // the fifth URL is never requested
    expect(await fetcher.fetch(`${server.origin}/chain/1`, { maxRedirects: 0 })).toMatchObject({
      reason: 'too_many_redirects',
    });
  });

  it('refuses a hop to a loopback address outside the allow-list; nothing reaches it', async () => {
    const other = await startHttpServer(route, '127.0.0.2');
    try {
      const result = await loopbackOnly().fetch(`${server.origin}/redirect?to=${other.origin}/ok`);
      expect(result).toMatchObject({
        ok: false,
        reason: 'blocked',
        message: '127.0.0.2 is not a public address (loopback)',
      });
      expect(other.hits).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('resolves and checks the name of every hop', async () => {
    const resolver = stubResolver({ 'internal.test': ['10.0.0.1'], 'loop.test': ['127.0.0.1'] });
    const fetcher = loopbackOnly(resolver);
    const result = await fetcher.fetch(
      `http://loop.test:${server.port}/redirect?to=http://internal.test:${server.port}/ok`,
    );
    expect(result).toMatchObject({
      ok: false,
      reason: 'blocked',
      message: 'internal.test resolves to a non-public address',
    });
    expect(resolver.calls).toEqual(['loop.test', 'internal.test']);
  });

  it.each([
    ['http://[::1]/ok', 'blocked'],
    ['http://0x7f000002/ok', 'blocked'],
    ['http://169.254.169.254/latest/meta-data/', 'blocked'],
    ['file:///etc/passwd', 'blocked'],
    ['gopher://127.0.0.1:25/', 'blocked'],
    ['http://user:pw@127.0.0.1/ok', 'blocked'],
    ['http://nxdomain.test/', 'dns_failed'],
  ])('refuses a redirect to %s as %s', async (location, reason) => {
    const result = await loopbackOnly().fetch(`${server.origin}/redirect?to=${encodeURIComponent(location)}`);
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('drops credentials when a redirect changes origin', async () => {
    const fetcher = loopbackOnly(stubResolver({ 'a.test': ['127.0.0.1'], 'b.test': ['127.0.0.1'] }));
    const headers = { authorization: 'Bearer secret', 'x-other': 'kept' };
    const same = await fetcher.fetch(`http://a.test:${server.port}/redirect?to=/echo`, { headers });
    expect(JSON.parse(same.ok ? same.body.toString() : '{}').headers).toMatchObject(headers);
    const cross = await fetcher.fetch(
      `http://a.test:${server.port}/redirect?to=http://b.test:${server.port}/echo`,
      { headers },
    );
    const crossHeaders = JSON.parse(cross.ok ? cross.body.toString() : '{}').headers;
    expect(crossHeaders.authorization).toBeUndefined();
    expect(crossHeaders['x-other']).toBe('kept');
  });
});

describe('DNS rebinding', () => {
  it('connects to the address it checked; a later answer is never used for that request', async () => {
    // Two servers on the same port: the first answer points at A, every later answer at B.
    const a = await startHttpServer((_request, response) => response.end('A'), '127.0.0.2');
    const b = await startHttpServer((_request, response) => response.end('B'), '127.0.0.3');
    await b.close();
    const bSamePort = await startHttpServerOn('127.0.0.3', a.port);
    try {
      const resolver = stubResolver({ 'flip.test': (call) => (call === 0 ? ['127.0.0.2'] : ['127.0.0.3']) });
      const fetcher = new SafeFetcher({ allowCidrs: ['127.0.0.0/8'], resolver });
      const result = await fetcher.fetch(`http://flip.test:${a.port}/`);
      expect(result.ok && result.body.toString()).toBe('A');
      expect(resolver.calls).toEqual(['flip.test']);
      expect(bSamePort.hits).toEqual([]);
    } finally {
      await a.close();
      await bSamePort.close();
    }
  });

  it('an allowed first answer followed by a private one: served once, then refused', async () => {
    const resolver = stubResolver({ 'rebind.test': (call) => (call === 0 ? ['127.0.0.1'] : ['10.0.0.1']) });
    const fetcher = loopbackOnly(resolver);
    const hits = server.hits.length;
    expect(await fetcher.fetch(`http://rebind.test:${server.port}/ok`)).toMatchObject({ ok: true });
    expect(resolver.calls).toEqual(['rebind.test']); // no second lookup at connect time
    expect(await fetcher.fetch(`http://rebind.test:${server.port}/ok`)).toMatchObject({
      ok: false,
      reason: 'blocked',
    });
    expect(server.hits.length).toBe(hits + 1);
  });

  it('a redirect back to the same name is resolved again and refused when it now answers private', async () => {
    const resolver = stubResolver({ 'rebind.test': (call) => (call === 0 ? ['127.0.0.1'] : ['10.0.0.1']) });
    const hits = server.hits.length;
    const result = await loopbackOnly(resolver).fetch(`http://rebind.test:${server.port}/redirect?to=/ok`);
    expect(result).toMatchObject({ ok: false, reason: 'blocked' });
    expect(resolver.calls).toEqual(['rebind.test', 'rebind.test']);
    expect(server.hits.length).toBe(hits + 1);
  });

  it('refuses a name when any one of its answers is refused, without connecting', async () => {
    const hits = server.hits.length;
    const result = await loopbackOnly(stubResolver({ 'mixed.test': ['127.0.0.1', '10.0.0.1'] })).fetch(
      `http://mixed.test:${server.port}/ok`,
    );
    expect(result).toMatchObject({ ok: false, reason: 'blocked' });
    expect(server.hits.length).toBe(hits);
  });
});

describe('time limit', () => {
  it.each([
    ['a body that stalls', '/slow-body'],
    ['headers that never come', '/slow-headers'],
  ])('times out on %s', async (_label, path) => {
    const started = Date.now();
    const result = await loopbackOnly().fetch(`${server.origin}${path}`, { timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, reason: 'timeout', message: 'URL fetch timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out on DNS that never answers', async () => {
    const fetcher = loopbackOnly(Object.assign(() => new Promise<never>(() => {}), { calls: [] }));
    expect(await fetcher.fetch('http://slow-dns.test/', { timeoutMs: 200 })).toMatchObject({
      reason: 'timeout',
    });
  });

  it('is one deadline for all redirect hops together', async () => {
    // Four hops of 150 ms each: every hop alone is well inside the limit, all of them are not.
    const result = await loopbackOnly().fetch(`${server.origin}/slow-chain/3`, { timeoutMs: 400 });
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('times out while streaming to a file and removes the partial file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fetcher-'));
    try {
      const path = join(dir, 'partial');
      const result = await loopbackOnly().fetchToFile(`${server.origin}/slow-body`, path, { timeoutMs: 300 });
      expect(result).toMatchObject({ ok: false, reason: 'timeout' });
      expect(existsSync(path)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('size limit (Content-Length is never trusted)', () => {
  it('cuts an endless body off early', async () => {
    endlessWritten = 0;
    const started = Date.now();
    const result = await loopbackOnly().fetch(`${server.origin}/endless`, { maxBytes: 64 * 1024 });
    expect(result).toMatchObject({ ok: false, reason: 'too_large', status: 200 });
    expect(Date.now() - started).toBeLessThan(2000);
    await sleep(100);
    const written = endlessWritten;
    await sleep(200);
    expect(endlessWritten).toBe(written); // the server has stopped: the connection is gone
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('fails fast on a declared length over the limit', async () => {
    const started = Date.now();
    const result = await loopbackOnly().fetch(`${server.origin}/big-declared`, { maxBytes: 1024 * 1024 });
    expect(result).toMatchObject({ ok: false, reason: 'too_large', status: 200 });
    expect(Date.now() - started).toBeLessThan(1000);
    const streamed = await loopbackOnly().fetchToFile(
      `${server.origin}/big-declared`,
      '/nonexistent/never-created',
      {
        maxBytes: 1024 * 1024,
      },
    );
    expect(streamed).toMatchObject({ ok: false, reason: 'too_large' }); // before the file is opened
  });

  it('accepts a body of exactly maxBytes and refuses one byte more', async () => {
    const fetcher = loopbackOnly();
    expect(await fetcher.fetch(`${server.origin}/exact/1000`, { maxBytes: 1000 })).toMatchObject({
      ok: true,
    });
    expect(await fetcher.fetch(`${server.origin}/exact/1001`, { maxBytes: 1000 })).toMatchObject({
      reason: 'too_large',
    });
  });

  it('with truncate returns the first maxBytes instead', async () => {
    const result = await loopbackOnly().fetch(`${server.origin}/endless`, { maxBytes: 1000, truncate: true });
    expect(result).toMatchObject({ ok: true, truncated: true });
    expect(result.ok && result.body.length).toBe(1000);
  });

  it('cuts off a close-delimited body that declares no length', async () => {
    const raw = await startRawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n');
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk)) {}
      };
      socket.on('drain', pump);
      pump();
    });
    try {
      const result = await loopbackOnly().fetch(raw.origin, { maxBytes: 100 * 1024 });
      expect(result).toMatchObject({ ok: false, reason: 'too_large' });
    } finally {
      await raw.close();
    }
  });

  it('does not let a small declared length smuggle in a chunked endless body', async () => {
    const raw = await startRawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = `4000\r\n${'a'.repeat(0x4000)}\r\n`;
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk)) {}
      };
      socket.on('drain', pump);
      pump();
    });
    try {
      // The HTTP parser refuses the ambiguous framing outright (request smuggling defence).
      expect(await loopbackOnly().fetch(raw.origin, { maxBytes: 64 * 1024 })).toMatchObject({
        ok: false,
        reason: 'unreachable',
        message: 'URL unreachable (HPE_INVALID_TRANSFER_ENCODING)',
      });
    } finally {
      await raw.close();
    }
  });

  it('reads no more than a small declared length even when the server sends more', async () => {
    const raw = await startRawServer((socket) => {
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n${'a'.repeat(100_000)}`);
    });
    try {
      const result = await loopbackOnly().fetch(raw.origin, { maxBytes: 1000 });
      expect(result).toMatchObject({ ok: true, status: 200 });
      expect(result.ok && result.body.length).toBe(10);
    } finally {
      await raw.close();
    }
  });

  it('treats a body shorter than its declared length as unreachable, not as a short body', async () => {
    const raw = await startRawServer((socket) => {
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n${'a'.repeat(100)}`);
    });
    try {
      expect(await loopbackOnly().fetch(raw.origin)).toMatchObject({ ok: false, reason: 'unreachable' });
    } finally {
      await raw.close();
    }
  });

  it('streams to a file within the limit, and removes the file when the limit is hit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fetcher-'));
    try {
      const fetcher = loopbackOnly();
      const good = join(dir, 'good');
      expect(
        await fetcher.fetchToFile(`${server.origin}/exact/5000`, good, { maxBytes: 5000 }),
      ).toMatchObject({
        ok: true,
        bytes: 5000,
        path: good,
      });
      expect((await readFile(good)).length).toBe(5000);
      const endless = join(dir, 'endless');
      const result = await fetcher.fetchToFile(`${server.origin}/endless`, endless, { maxBytes: 256 * 1024 });
      expect(result).toMatchObject({ ok: false, reason: 'too_large' });
      expect(existsSync(endless)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('streaming to a file', () => {
  it('throws file-system errors instead of reporting them as fetch failures', async () => {
    await expect(
      loopbackOnly().fetchToFile(`${server.origin}/ok`, join(tmpdir(), 'no-such-dir-9f3c', 'file')),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });

  const whole = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 256));

  async function inScratch(run: (dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'fetcher-'));
    try {
      await run(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('resumes: asks for the rest with Range and appends a 206 that continues where the file ends', () =>
    inScratch(async (dir) => {
      const path = join(dir, 'part');
      await writeFile(path, whole.subarray(0, 3000));
      const seen: number[] = [];
      const result = await loopbackOnly().fetchToFile(`${server.origin}/ranged`, path, {
        resumeFrom: 3000,
        onProgress: (bytes, total) => {
          expect(total).toBe(10_000);
          seen.push(bytes);
        },
      });
      expect(result).toMatchObject({ ok: true, status: 206, bytes: 10_000, resumed: true });
      expect((await readFile(path)).equals(whole)).toBe(true);
      expect(seen.at(-1)).toBe(10_000);
      expect(seen[0]).toBeGreaterThan(3000);
    }));

  it('rewrites the file when the server ignores the range (200), and refuses a 206 at another offset', () =>
    inScratch(async (dir) => {
      const path = join(dir, 'part');
      await writeFile(path, Buffer.alloc(3000, 0xff));
      const ignored = await loopbackOnly().fetchToFile(`${server.origin}/ranged?ignore`, path, {
        resumeFrom: 3000,
      });
      expect(ignored).toMatchObject({ ok: true, status: 200, bytes: 10_000, resumed: false });
      expect((await readFile(path)).equals(whole)).toBe(true);

      await writeFile(path, whole.subarray(0, 3000));
      const wrong = await loopbackOnly().fetchToFile(`${server.origin}/ranged?wrong`, path, {
        resumeFrom: 3000,
        keepPartial: true,
      });
      expect(wrong).toMatchObject({ ok: false, reason: 'unreachable', status: 206 });
      expect((await readFile(path)).equals(whole.subarray(0, 3000))).toBe(true);
    }));

  it('counts maxBytes over the whole file when resuming', () =>
    inScratch(async (dir) => {
      const path = join(dir, 'part');
      await writeFile(path, whole.subarray(0, 3000));
      const result = await loopbackOnly().fetchToFile(`${server.origin}/ranged`, path, {
        resumeFrom: 3000,
        maxBytes: 9_999,
      });
      expect(result).toMatchObject({ ok: false, reason: 'too_large' });
    }));

  it('keepPartial leaves what arrived before the connection dropped; without it the file goes', () =>
    inScratch(async (dir) => {
      const kept = join(dir, 'kept');
      const result = await loopbackOnly().fetchToFile(`${server.origin}/cut`, kept, { keepPartial: true });
      expect(result).toMatchObject({ ok: false, reason: 'unreachable' });
      expect((await readFile(kept)).length).toBe(4000);
      const dropped = join(dir, 'dropped');
      await loopbackOnly().fetchToFile(`${server.origin}/cut`, dropped);
      expect(existsSync(dropped)).toBe(false);
    }));

  it('a transfer that stalls fails as a timeout well within the overall deadline', () =>
    inScratch(async (dir) => {
      const path = join(dir, 'stalled');
      const started = Date.now();
      const result = await loopbackOnly().fetchToFile(`${server.origin}/cut?stall`, path, {
        stallTimeoutMs: 200,
        timeoutMs: 20_000,
        keepPartial: true,
      });
      expect(result).toMatchObject({ ok: false, reason: 'timeout', message: 'URL fetch stalled' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await readFile(path)).length).toBe(4000);
    }));
});

describe('type expectation', () => {
  const images = ['image/jpeg', 'image/png', 'image/webp'] as const;

  it('accepts a declared type whose magic bytes agree (parameters ignored)', async () => {
    const result = await loopbackOnly().fetch(`${server.origin}/png`, { accept: images });
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.ok && result.body.equals(PNG_BYTES)).toBe(true);
  });

  it.each([
    ['PNG bytes declared as JPEG', '/png-as-jpeg'],
    ['an HTML page', '/html'],
    ['JPEG bytes with no Content-Type', '/jpeg-untyped'],
  ])('refuses %s as type_mismatch', async (_label, path) => {
    expect(await loopbackOnly().fetch(`${server.origin}${path}`, { accept: images })).toMatchObject({
      ok: false,
      reason: 'type_mismatch',
    });
  });

  it('refuses a declared type outside accept', async () => {
    expect(await loopbackOnly().fetch(`${server.origin}/png`, { accept: ['image/jpeg'] })).toMatchObject({
      reason: 'type_mismatch',
    });
  });

  it('reports the status, not the type, for a non-2xx response', async () => {
    expect(await loopbackOnly().fetch(`${server.origin}/status/404`, { accept: images })).toMatchObject({
      reason: 'http_status',
      status: 404,
    });
  });

  it('checks magic bytes when streaming to a file too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fetcher-'));
    try {
      const fetcher = loopbackOnly();
      const good = join(dir, 'good.png');
      expect(await fetcher.fetchToFile(`${server.origin}/png`, good, { accept: images })).toMatchObject({
        ok: true,
      });
      expect((await readFile(good)).equals(PNG_BYTES)).toBe(true);
      const bad = join(dir, 'bad.jpg');
      expect(
        await fetcher.fetchToFile(`${server.origin}/png-as-jpeg`, bad, { accept: images }),
      ).toMatchObject({
        reason: 'type_mismatch',
      });
      expect(existsSync(bad)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('https', () => {
  it('https-only mode refuses http before resolving or connecting', async () => {
    const resolver = stubResolver({ 'hook.test': ['127.0.0.1'] });
    const hits = server.hits.length;
    const result = await loopbackOnly(resolver).fetch(`http://hook.test:${server.port}/echo`, {
      method: 'POST',
      body: '{}',
      httpsOnly: true,
    });
    expect(result).toMatchObject({ ok: false, reason: 'invalid_url', message: 'URL must use https' });
    expect(resolver.calls).toEqual([]);
    expect(server.hits.length).toBe(hits);
  });

  it('connects to the checked address with the name as SNI, and verifies the certificate', async () => {
    let sni: string | undefined;
    let remote: string | undefined;
    const tls = createTlsServer({
      key: TEST_KEY,
      cert: TEST_CERT,
      SNICallback: (servername, callback) => {
        sni = servername;
        callback(null, undefined);
      },
    });
    tls.on('connection', (socket) => {
      remote = socket.remoteAddress;
    });
    tls.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const { port } = tls.address() as AddressInfo;
    try {
      const fetcher = loopbackOnly(stubResolver({ 'secure.test': ['127.0.0.1'] }));
      const result = await fetcher.fetch(`https://secure.test:${port}/`, { httpsOnly: true });
      // The test certificate is self-signed, so verification must fail: it is on.
      expect(result).toMatchObject({ ok: false, reason: 'unreachable' });
      expect(result.ok ? '' : result.message).toMatch(/SELF_SIGNED|CERT/);
      expect(sni).toBe('secure.test');
      expect(remote).toBe('127.0.0.1');
    } finally {
      await new Promise((resolve) => tls.close(resolve));
    }
  });
});

async function startHttpServerOn(host: string, port: number): Promise<TestServer> {
  const { createServer } = await import('node:http');
  const hits: string[] = [];
  const http = createServer((request, response) => {
    hits.push(request.url ?? '');
    response.end('B');
  });
  await new Promise<void>((resolve) => http.listen(port, host, resolve));
  return {
    port,
    origin: `http://${host}:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

// A throwaway self-signed certificate for the fake name secure.test (P-256, valid until 2126),
// used only to show that TLS goes to the pinned loopback address with the right SNI.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgX2dJJWHm3FNG7zO7
RIjQykXUx/nQU6COqDE729kJkCKhRANCAAQbbQ+Se1296e7EYa5zh7gbqxq0hkrK
MsM/aE0VpnyZh3LBelKtM00nTG8spsOIcZhoqaICBWksS4AEzILN35n5
-----END PRIVATE KEY-----
`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUVpnmRBE0P7PAG4Mi3kz1w5wA5YowCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLc2VjdXJlLnRlc3QwIBcNMjYxMTIyMDM1MTI2WhgPMjEyNjEw
MjkwMzUxMjZaMBYxFDASBgNVBAMMC3NlY3VyZS50ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEG20PkntdvenuxGGuc4e4G6satIZKyjLDP2hNFaZ8mYdywXpS
rTNNJ0xvLKbDiHGYaKmiAgVpLEuABMyCzd+Z+aNrMGkwHQYDVR0OBBYEFGUFAVwN
RcIAtfaLdp7UAKHTNrYhMB8GA1UdIwQYMBaAFGUFAVwNRcIAtfaLdp7UAKHTNrYh
MA8GA1UdEwEB/wQFMAMBAf8wFgYDVR0RBA8wDYILc2VjdXJlLnRlc3QwCgYIKoZI
zj0EAwIDSAAwRQIgBDbb9hSZx0oBF+XUNjB4j9RgQ0nt9maGhFhuZyfVGfMCIQCv
JydqBwGbFGe+5ZzMYkSLMeF7oTvOnrPCsUs0DkKbOQ==
-----END CERTIFICATE-----
`;
