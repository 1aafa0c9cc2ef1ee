// ipx, the peer of the delivery benchmarks, as a child process over a folder of sources (bench/lib/ipx-server.ts).
import path from 'node:path';
import { type Child, freePort, startChild } from './children.ts';

export async function startIpx(options: {
  repo: string;
  /** The folder ipx serves (its sources). */
  dir: string;
  logDir: string;
  /** A file in `dir` to probe readiness with. */
  probeFile: string;
}): Promise<Child> {
  const port = await freePort();
  return startChild({
    args: ['--import', 'tsx', path.join(options.repo, 'bench/lib/ipx-server.ts'), options.dir, String(port)],
    cwd: options.repo,
    port,
    probe: `/w_16,f_jpeg/${path.basename(options.probeFile)}`,
    logFile: path.join(options.logDir, 'ipx.log'),
    env: {},
  });
}
