import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CliEnvironment, cliEnvironment } from '../../config/cli-environment.ts';
import { NotLoggedInError } from './cli-errors.ts';

/** What `lightbox login` keeps in `<config dir>/config.json` (mode 600). */
export interface SavedLogin {
  url: string;
  api_key?: string;
}

/** Where the server and key of a command come from, and what they are. */
export interface Connection {
  url: string;
  apiKey: string | undefined;
  configDir: string;
}

const configFile = (configDir: string) => path.join(configDir, 'config.json');

export async function readSavedLogin(configDir: string): Promise<SavedLogin | null> {
  let text: string;
  try {
    text = await readFile(configFile(configDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<SavedLogin>;
  return typeof parsed.url === 'string'
    ? { url: parsed.url, ...(parsed.api_key ? { api_key: parsed.api_key } : {}) }
    : null;
}

/**
 * Written to a temporary file created with mode 600, then renamed over the old one: the key is never readable by
 * others, not even for a moment, and a crash leaves the old login or the new one, never half a file.
 */
export async function saveLogin(configDir: string, login: SavedLogin): Promise<string> {
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  const file = configFile(configDir);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(temporary, file);
  return file;
}

export async function forgetLogin(configDir: string): Promise<boolean> {
  try {
    await rm(configFile(configDir));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** `--url`, then `LIGHTBOX_URL`/`LIGHTBOX_API_KEY`, then the saved login. */
export async function resolveConnection(
  flags: { url?: string | undefined },
  environment: CliEnvironment = cliEnvironment(),
): Promise<Connection> {
  const saved = await readSavedLogin(environment.configDir);
  const url = flags.url ?? environment.url ?? saved?.url;
  if (!url) {
    throw new NotLoggedInError('No server: run `lightbox login`, or set LIGHTBOX_URL and LIGHTBOX_API_KEY.');
  }
  return { url, apiKey: environment.apiKey ?? saved?.api_key, configDir: environment.configDir };
}
