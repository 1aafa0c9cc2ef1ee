import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { Output } from './output.ts';
import type { CommandRun, GlobalOptions } from './session.ts';

const AFTER_HELP = `
Server and key: \`lightbox login\` saves them (mode 600) in $XDG_CONFIG_HOME/lightbox/config.json
(default ~/.config/lightbox/); LIGHTBOX_URL and LIGHTBOX_API_KEY in the environment override it.

Exit codes: 0 ok · 1 the server answered an error · 2 usage (arguments, input files, no server)
            3 network (unreachable, timed out) · 4 no key, or the key was refused · 5 some items failed

Operator commands: lightbox serve, lightbox admin help, lightbox models help, lightbox backup|restore <dir>, lightbox migrate.
Docs: docs/cli.md (CLI), docs/mcp.md (\`lightbox mcp\`), docs/client.md (lightbox/client).`;

const integer = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
  return n;
};
const csvList = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/** Media fields shared by upload and import. */
function withMediaFields(command: Command): Command {
  return command
    .option('--name <name>', 'display name (default: the file name)')
    .option('--namespace <ns>', 'namespace (lowercase letters, digits, hyphens)')
    .option('--tags <a,b>', 'comma-separated tags', csvList)
    .option('--private', 'private: reachable only through its src URL')
    .option('--ttl <ttl>', 'expire after seconds (≥ 300) or <n>m|h|d')
    .option('-c, --concurrency <n>', 'requests at once', integer(1, 32), 4);
}

/**
 * The user CLI on commander. Each action imports its module when chosen (the parser itself is all that loads
 * for `--help`), and every outcome is an exit code of `EXIT`.
 */
function buildProgram(done: (code: ExitCode) => void): Command {
  const program = new Command('lightbox')
    .description('Lightbox from the shell: upload, import, list and deliver images; enhance product photos.')
    .option('--url <url>', 'server URL (default: LIGHTBOX_URL, then the login)')
    .option('--json', 'print JSON: results on stdout, errors on stderr')
    .addHelpText('after', AFTER_HELP)
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();

  const action =
    <Options>(load: () => Promise<CommandRun<Options>>) =>
    async (...received: unknown[]) => {
      const command = received.at(-1) as Command;
      const options = command.optsWithGlobals<Options & GlobalOptions>();
      const out = new Output(Boolean(options.json));
      try {
        const run = await load();
        done(await run({ args: command.processedArgs, options, out }));
      } catch (error) {
        done(out.fail(error));
      }
    };

  program
    .command('login')
    .description('save the server URL and API key (asks for what is not given)')
    .option('--api-key <key>', 'the key (default: asked, or read from stdin when it is not a terminal)')
    .option('--no-verify', 'save without checking the key against the server')
    .action(action(async () => (await import('./login-command.ts')).login));

  program
    .command('logout')
    .description('forget the saved login')
    .action(action(async () => (await import('./login-command.ts')).logout));

  withMediaFields(
    program
      .command('upload')
      .description(
        'upload files, directories (recursively: image files) and globs; skips files already uploaded',
      )
      .argument('<paths...>', 'files, directories or quoted globs ("photos/**/*.jpg")'),
  )
    .option('--force', 'upload again files the manifest says are uploaded')
    .action(action(async () => (await import('./upload-command.ts')).uploadCommand));

  withMediaFields(
    program
      .command('import')
      .description('have the server fetch images from URLs')
      .argument('<sources...>', 'URLs, or files with one URL per line'),
  ).action(action(async () => (await import('./media-commands.ts')).importCommand));

  program
    .command('ls')
    .description('list media, newest first')
    .option('-n, --limit <n>', 'how many (1–100)', integer(1, 100), 50)
    .option('--all', 'every page')
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--namespace <ns>', 'only this namespace')
    .option('--tags <a,b>', 'with these tags', csvList)
    .addOption(new Option('--tag-mode <mode>', 'any or all of --tags').choices(['any', 'all']))
    .action(action(async () => (await import('./media-commands.ts')).listCommand));

  program
    .command('get')
    .description('show one media object')
    .argument('<id>')
    .action(action(async () => (await import('./media-commands.ts')).getCommand));

  program
    .command('rm')
    .description('delete media (and every cached rendition)')
    .argument('<ids...>')
    .action(action(async () => (await import('./media-commands.ts')).removeCommand));

  program
    .command('url')
    .description('the delivery URL of a rendition')
    .argument('<id>')
    .addOption(new Option('--size <size>', 'preset size').choices(['s', 'm', 'l', 'social']))
    .option('--w <px>', 'width', integer(1, 8192))
    .option('--h <px>', 'height', integer(1, 8192))
    .addOption(
      new Option('--fit <fit>', 'with --w/--h').choices(['scale-down', 'contain', 'cover', 'crop', 'pad']),
    )
    .option('--q <quality>', 'quality 1–100', integer(1, 100))
    .addOption(
      new Option('--format <format>', 'output format').choices(['jpg', 'jpeg', 'png', 'webp', 'avif', 'gif']),
    )
    .action(action(async () => (await import('./media-commands.ts')).urlCommand));

  program
    .command('usage')
    .description('plan, quotas, storage and credits')
    .action(action(async () => (await import('./media-commands.ts')).usageCommand));

  program
    .command('enhance')
    .description('enhance product photos (batches of up to 20; more than 20 need --wait)')
    .argument('<sources...>', 'image URLs, or CSV files (source_url[,external_id], header optional)')
    .option('--preset <preset>', 'a preset id (default single_product_white_background)')
    .addOption(
      new Option('--preservation <level>', 'preservation level').choices(['strict', 'balanced', 'creative']),
    )
    .option('--instructions <text>', 'instructions for the pipeline')
    .option('--webhook-url <url>', 'public HTTPS URL for signed events')
    .option('--idempotency-key <key>', 'replay key (default: derived from the batch, so a re-run replays)')
    .option('--fresh', 'a new batch even if the same one ran in the last 24 h')
    .option('--wait', 'wait for the result, showing item progress, and write the results CSV')
    .option('-o, --output <file>', 'results CSV (with --wait; "-" for stdout)')
    .option('--interval <seconds>', 'seconds between status polls', integer(1, 60), 2)
    .option('--timeout <seconds>', 'give up waiting after (exit 1)', integer(1, 86_400), 1800)
    .action(action(async () => (await import('./enhance-command.ts')).enhanceCommand));

  program
    .command('mcp')
    .description('the MCP server on stdio, for agents (docs/mcp.md)')
    .action(() => undefined);

  return program;
}

/** `--help`/`-h` anywhere (before `--`) wins over everything else, so help never starts with a parser error. */
function helpTarget(program: Command, argv: string[]): Command | null {
  const end = argv.indexOf('--');
  const head = end === -1 ? argv : argv.slice(0, end);
  if (!head.includes('--help') && !head.includes('-h') && head[0] !== 'help' && head.length > 0) return null;
  const words = head.filter((a) => !a.startsWith('-') && a !== 'help');
  return program.commands.find((c) => c.name() === words[0]) ?? program;
}

/** Runs the user CLI with the arguments after `lightbox`; resolves with the exit code. */
export async function runUserCli(argv: string[]): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  const help = helpTarget(program, argv);
  if (help) {
    help.outputHelp();
    return EXIT.ok;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  return code;
}
