/**
 * Wakes the pollers of one store in this process when a job is enqueued there, so a job enqueued by the API half
 * of `--role all` starts at once instead of at the next poll. Other processes still find it by polling.
 */
const listeners = new WeakMap<object, Set<() => void>>();

export function onLocalEnqueue(scope: object, listener: () => void): () => void {
  let set = listeners.get(scope);
  if (!set) {
    set = new Set();
    listeners.set(scope, set);
  }
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}

export function notifyLocalEnqueue(scope: object): void {
  for (const listener of listeners.get(scope) ?? []) listener();
}
