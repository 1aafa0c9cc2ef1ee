// A reference for the cached benchmark: plain node:http answering every request with the same in-memory body of
// `<bytes>` (no routing, no database, no file), so the numbers show what this client and machine allow for
// image-sized responses at all. Run as a child process: node bench/lib/static-server.ts <bytes> <port>
import { createServer } from 'node:http';

const [bytes, port] = process.argv.slice(2).map(Number);
if (!bytes || !port) {
  process.stderr.write('usage: static-server.ts <bytes> <port>\n');
  process.exit(2);
}
const body = Buffer.alloc(bytes, 0x5a);
const server = createServer((_request, response) => {
  response.writeHead(200, {
    'content-type': 'image/jpeg',
    'content-length': String(body.length),
    'cache-control': 'public, max-age=31536000, immutable',
    etag: '"static"',
  });
  response.end(body);
});
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
