import { LightboxClient } from '../../client/index.ts';
import { MissingKeyError } from './cli-errors.ts';
import type { ExitCode } from './exit-codes.ts';
import type { Output } from './output.ts';
import { type Connection, resolveConnection } from './saved-login.ts';

/** The global options every command sees. */
export interface GlobalOptions {
  json?: boolean;
  url?: string;
}

/** What a command module receives: its arguments, its options (globals included) and where to write. */
export interface CommandContext<Options = Record<string, unknown>> {
  args: unknown[];
  options: Options & GlobalOptions;
  out: Output;
}

export type CommandRun<Options = Record<string, unknown>> = (
  context: CommandContext<Options>,
) => Promise<ExitCode>;

const USER_AGENT = 'lightbox-cli';

/** A client for the configured server; `key: 'required'` fails early (exit 4) when there is no key. */
export async function connect(
  options: GlobalOptions,
  key: 'required' | 'optional',
): Promise<{ client: LightboxClient; connection: Connection }> {
  const connection = await resolveConnection({ url: options.url });
  if (key === 'required' && !connection.apiKey) throw new MissingKeyError();
  const client = new LightboxClient({
    baseUrl: connection.url,
    apiKey: connection.apiKey,
    userAgent: USER_AGENT,
    // Uploads of large files on slow links: a stalled connection still ends, a slow one is not cut short.
    timeoutMs: 600_000,
  });
  return { client, connection };
}
