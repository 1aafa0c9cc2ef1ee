import { homedir } from 'node:os';
import path from 'node:path';
import { ConfigError } from './config.ts';
import { settings } from './settings.ts';

/** What the user CLI and `lightbox mcp` take from the environment (docs/cli.md). */
export interface CliEnvironment {
  /** `LIGHTBOX_URL`: overrides the saved login's server. */
  url: string | undefined;
  /** `LIGHTBOX_API_KEY`: overrides the saved login's key. */
  apiKey: string | undefined;
  /** `$XDG_CONFIG_HOME/lightbox`, else `~/.config/lightbox`: where `lightbox login` saves. */
  configDir: string;
}

/**
 * The CLI's settings only: a user command must not fail because a server setting in the same shell is invalid.
 * The XDG base directory rule: a relative `XDG_CONFIG_HOME` is ignored.
 */
export function cliEnvironment(env: Record<string, string | undefined> = process.env): CliEnvironment {
  const problems: string[] = [];
  const read = <T>(def: { env: string; parse: (raw: string) => T }): T | undefined => {
    const raw = env[def.env] ?? '';
    try {
      return def.parse(raw);
    } catch (error) {
      problems.push(`${def.env}=${JSON.stringify(raw)}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const url = read(settings.cliUrl);
  const apiKey = read(settings.cliApiKey);
  if (problems.length > 0) throw new ConfigError(problems);
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || homedir(), '.config');
  return { url, apiKey, configDir: path.join(base, 'lightbox') };
}
