/** The exit codes of the user CLI (docs/cli.md § Exit codes). */
export const EXIT = {
  ok: 0,
  /** The server answered with an error. */
  api: 1,
  /** Bad arguments, unreadable input, no server configured. */
  usage: 2,
  /** No answer: unreachable, connection broken, timed out. */
  network: 3,
  /** No key, or the key was refused (401). */
  auth: 4,
  /** Some items of a batch failed, others succeeded (upload, import, rm, enhance). */
  partial: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
