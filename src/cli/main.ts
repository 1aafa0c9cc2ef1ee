import { parseArgs } from 'node:util';
import { runAdmin } from './admin-command.ts';
import { type Role, serve } from './serve.ts';

const USAGE = `Usage:
  lightbox serve [--role api|worker|all]
  lightbox admin <command> [options]     (lightbox admin help)`;

const [command, ...rest] = process.argv.slice(2);

switch (command) {
  case 'serve': {
    const { values } = parseArgs({ args: rest, options: { role: { type: 'string', default: 'all' } } });
    const role = values.role as Role;
    if (!['api', 'worker', 'all'].includes(role)) {
      process.stderr.write(`--role must be api, worker or all\n${USAGE}\n`);
      process.exit(2);
    }
    await serve(role);
    break;
  }
  case 'admin':
    process.exitCode = await runAdmin(rest);
    break;
  default:
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = command === undefined || command === 'help' ? 0 : 2;
}
