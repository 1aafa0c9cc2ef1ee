import { parseArgs } from 'node:util';
import type { Role } from './serve.ts';

const USAGE = `Usage:
  lightbox serve [--role api|worker|all]
  lightbox backup <dir>                  (a consistent copy of LIGHTBOX_DATA_DIR, while serving)
  lightbox restore <dir>                 (into an empty LIGHTBOX_DATA_DIR)
  lightbox migrate [--dry-run]           (list or apply pending database migrations)`;

const ROLES: readonly Role[] = ['api', 'worker', 'all'];

const [command, ...rest] = process.argv.slice(2);
const wantsHelp = rest.some((arg) => arg === '--help' || arg === '-h');

// Each command imports its module only when chosen: `admin` talks to a running server over HTTP and must not pay
// for loading the server (Fastify, sharp, the store drivers, the composition root) on every call.
switch (command) {
  case 'serve': {
    if (wantsHelp) {
      process.stdout.write(`${USAGE}\n`);
      break;
    }
    const { values } = parseArgs({ args: rest, options: { role: { type: 'string', default: 'all' } } });
    const role = values.role as Role;
    if (!ROLES.includes(role)) {
      process.stderr.write(`--role must be api, worker or all\n${USAGE}\n`);
      process.exit(2);
    }
    const { serve } = await import('./serve.ts');
    await serve(role);
    break;
  }
  case 'admin': {
    const { runAdmin } = await import('./admin-command.ts');
    process.exitCode = await runAdmin(rest);
    break;
  }
  case 'models': {
    const { runModels } = await import('./models-command.ts');
    process.exitCode = await runModels(rest);
    break;
  }
  case 'backup':
  case 'restore': {
    if (wantsHelp) {
      process.stdout.write(`${USAGE}\n`);
      break;
    }
    const { positionals } = parseArgs({ args: rest, allowPositionals: true });
    const [dir, ...extra] = positionals;
    if (dir === undefined || extra.length > 0) {
      process.stderr.write(`lightbox ${command} takes one directory\n${USAGE}\n`);
      process.exit(2);
    }
    const { runBackup, runRestore } = await import('./backup-commands.ts');
    await (command === 'backup' ? runBackup(dir) : runRestore(dir));
    break;
  }
  case 'migrate': {
    if (wantsHelp) {
      process.stdout.write(`${USAGE}\n`);
      break;
    }
    const { values } = parseArgs({ args: rest, options: { 'dry-run': { type: 'boolean', default: false } } });
    const { runMigrate } = await import('./backup-commands.ts');
    await runMigrate(values['dry-run']);
    break;
  }
  case 'mcp': {
    if (wantsHelp) {
      const { runUserCli } = await import('./user/program.ts');
      process.exitCode = await runUserCli(process.argv.slice(2));
      break;
    }
    const { runMcp } = await import('./mcp-command.ts');
    process.exitCode = await runMcp();
    break;
  }
  default: {
    // The user commands (login, upload, ls, enhance, …) and the top-level help, on commander.
    const { runUserCli } = await import('./user/program.ts');
    process.exitCode = await runUserCli(process.argv.slice(2));
  }
}
