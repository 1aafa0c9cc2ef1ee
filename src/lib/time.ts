export const toUnixSeconds = (ms: number): number => Math.floor(ms / 1000);
export const toIso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;
