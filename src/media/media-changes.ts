/**
 * In-process notice that a media row changed or went away, for the caches that hold rows (delivery keeps the
 * rows of hot `src` URLs for a moment). Other processes are not told: their entries age out (see
 * delivery/media-lookups.ts for how long).
 */
export interface MediaChanges {
  notify(id: string): void;
  subscribe(listener: (id: string) => void): void;
}

export function createMediaChanges(): MediaChanges {
  const listeners: ((id: string) => void)[] = [];
  return {
    notify(id) {
      for (const listener of listeners) listener(id);
    },
    subscribe(listener) {
      listeners.push(listener);
    },
  };
}
