// The peer server for the delivery benchmark: ipx's own Node server over a local folder, as its docs set it up.
// Run as a child process: node --import tsx bench/lib/ipx-server.ts <dir> <port>
import { createServer } from 'node:http';
import { createIPX, createIPXNodeServer, ipxFSStorage } from 'ipx';

const [dir, port] = process.argv.slice(2);
if (!dir || !port) {
  process.stderr.write('usage: ipx-server.ts <dir> <port>\n');
  process.exit(2);
}
const ipx = createIPX({ storage: ipxFSStorage({ dir }) });
const server = createServer(createIPXNodeServer(ipx));
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
