/** A mistake in the command line or its input files: exit 2. */
export class UsageError extends Error {}

/** No server configured: exit 2. */
export class NotLoggedInError extends UsageError {}

/** No key configured for a command that needs one: exit 4. */
export class MissingKeyError extends Error {
  constructor() {
    super('this command needs an API key: run `lightbox login`, or set LIGHTBOX_API_KEY');
  }
}
