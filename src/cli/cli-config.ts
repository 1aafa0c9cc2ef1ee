import { createRedactor } from '../app/redact.ts';
import { type Config, ConfigError, loadConfig } from '../config/config.ts';
import { unknownSettings } from '../config/unknown-settings.ts';

/** Ends the command with one line on stderr and exit code 1: what the operator must fix, without a stack. */
export function refuseToStart(message: string): never {
  process.stderr.write(`lightbox: ${message}\n`);
  process.exit(1);
}

/**
 * A configuration error quotes each bad value: not those of secret settings (a too-short admin token is still
 * most of one), nor passwords inside URLs.
 */
export function withoutSecretValues(message: string): string {
  return createRedactor()(
    message.replace(
      /(LIGHTBOX_[A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD)[A-Z0-9_]*=)"(?:[^"\\]|\\.)*"/g,
      '$1"[redacted]"',
    ),
  );
}

/** The configuration, or exit 1 naming every bad setting (and any mistyped name that may be why). */
export function loadConfigOrExit(): Readonly<Config> {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      const unknown = unknownSettings().map((u) => `\n  - ${u.message}`);
      refuseToStart(withoutSecretValues(error.message) + unknown.join(''));
    }
    throw error;
  }
}
