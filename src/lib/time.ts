export const toUnixSeconds = (ms: number): number => Math.floor(ms / 1000);
/** An instant as ISO-8601 UTC; `null` stays `null`. */
export function toIso(ms: number): string;
export function toIso(ms: number | null): string | null;
export function toIso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;
