import { settings } from './settings.ts';

/** Environment variables of the LIGHTBOX_ namespace that are not settings on purpose (the test harness's). */
const NOT_SETTINGS = /^LIGHTBOX_TEST_/;

export interface UnknownSetting {
  name: string;
  /** The closest setting name, when one is close enough to be the intended one. */
  suggestion?: string;
  /** "unknown setting LIGHTBOX_X (did you mean LIGHTBOX_Y?)" */
  message: string;
}

const KNOWN: ReadonlySet<string> = new Set(Object.values(settings).map((s) => s.env));

/**
 * Every `LIGHTBOX_*` variable in `env` that no setting reads, in name order, each with the nearest setting name
 * when it is a likely typo. A mistyped setting would otherwise be ignored without a word, its default used.
 */
export function unknownSettings(env: Record<string, string | undefined> = process.env): UnknownSetting[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('LIGHTBOX_') && !KNOWN.has(name) && !NOT_SETTINGS.test(name))
    .sort()
    .map((name) => {
      const suggestion = nearestSetting(name);
      return {
        name,
        ...(suggestion ? { suggestion } : {}),
        message: `unknown setting ${name}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
      };
    });
}

/**
 * The known name at the smallest edit distance from `name`, if that distance is small for its length: ≤ 1 edit
 * per 5 characters of the part after `LIGHTBOX_`, at least 1 and at most 3. Ties go to the first in the table.
 */
function nearestSetting(name: string): string | undefined {
  const tail = name.slice('LIGHTBOX_'.length);
  const limit = Math.min(3, Math.max(1, Math.floor(tail.length / 5)));
  let best: { name: string; distance: number } | undefined;
  for (const known of KNOWN) {
    const knownTail = known.startsWith('LIGHTBOX_') ? known.slice('LIGHTBOX_'.length) : known;
    const distance = editDistance(tail, knownTail);
    if (distance <= limit && (!best || distance < best.distance)) best = { name: known, distance };
  }
  return best?.name;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  // Rows two back, one back and current of the dynamic-programming table.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (before[j - 2] as number) + 1);
      }
      current.push(value);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}
