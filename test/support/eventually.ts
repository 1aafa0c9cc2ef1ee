/**
 * Polls (every 20 ms, at most `ms`) until `check` holds; returns the last value read, held or not, so the caller's
 * assertion on it says what was there. For effects that follow a response: cache writes, background jobs.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await read();
  }
  return value;
}
