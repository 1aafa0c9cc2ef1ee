import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { LightboxClient } from '../../client/index.ts';
import { cliEnvironment } from '../../config/cli-environment.ts';
import { UsageError } from './cli-errors.ts';
import { EXIT } from './exit-codes.ts';
import { forgetLogin, readSavedLogin, saveLogin } from './saved-login.ts';
import type { CommandRun } from './session.ts';

const DEFAULT_URL = 'http://localhost:8080';

/** Asks on the terminal; the key is not echoed. */
async function ask(question: string, secret = false): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = rl.question(question);
    muted = secret;
    const value = await answer;
    if (secret) process.stderr.write('\n');
    return value.trim();
  } finally {
    rl.close();
  }
}

/** The first line of stdin (`echo "$KEY" | lightbox login --url …`), so keys stay out of the process list. */
async function firstLineOfStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split('\n')[0]?.trim() ?? '';
}

export const login: CommandRun<{ apiKey?: string; verify: boolean }> = async ({ options, out }) => {
  const environment = cliEnvironment();
  const saved = await readSavedLogin(environment.configDir);
  const interactive = Boolean(process.stdin.isTTY);
  let url = options.url;
  if (!url) {
    if (!interactive) throw new UsageError('--url is required when stdin is not a terminal');
    const fallback = saved?.url ?? DEFAULT_URL;
    url = (await ask(`Server URL [${fallback}]: `)) || fallback;
  }
  let apiKey = options.apiKey;
  if (!apiKey) apiKey = interactive ? await ask('API key: ', true) : await firstLineOfStdin();
  if (!apiKey) throw new UsageError('an API key is required (--api-key, the prompt, or stdin)');
  if (!/^https?:\/\//.test(url)) throw new UsageError('the URL must start with http:// or https://');
  url = url.replace(/\/+$/, '');

  let plan: string | null = null;
  if (options.verify) {
    // A key the server refuses is not saved: exit 4 (or 3 when the server cannot be reached).
    const usage = await new LightboxClient({ baseUrl: url, apiKey, userAgent: 'lightbox-cli' }).usage();
    plan = usage.plan;
  }
  const file = await saveLogin(environment.configDir, { url, api_key: apiKey });
  out.result({ url, config_file: file, verified: options.verify, plan }, () =>
    [
      `Logged in to ${url}${plan ? ` (plan: ${plan})` : ''}.`,
      `Saved to ${file} (readable by you only).`,
      ...(environment.apiKey || environment.url
        ? ['Note: LIGHTBOX_URL / LIGHTBOX_API_KEY in the environment take precedence.']
        : []),
    ].join('\n'),
  );
  return EXIT.ok;
};

export const logout: CommandRun = async ({ out }) => {
  const { configDir } = cliEnvironment();
  const removed = await forgetLogin(configDir);
  out.result({ logged_out: removed }, () => (removed ? 'Logged out.' : 'Not logged in.'));
  return EXIT.ok;
};
