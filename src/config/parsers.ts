import { isIPv4, isIPv6 } from 'node:net';

/** A parser turns the raw string of one setting into its typed value, or throws a message that names the rule. */
export type Parser<T> = (raw: string) => T;

class SettingError extends Error {}

export const str: Parser<string> = (raw) => raw;

export const int =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new SettingError(`must be an integer between ${min} and ${max}`);
    const value = Number(raw.trim());
    if (value < min || value > max) throw new SettingError(`must be an integer between ${min} and ${max}`);
    return value;
  };

/** A decimal number in range (`4`, `2.5`). */
export const decimal =
  (min: number, max: number): Parser<number> =>
  (raw) => {
    if (!/^\d+(\.\d+)?$/.test(raw.trim()))
      throw new SettingError(`must be a number between ${min} and ${max}`);
    const value = Number(raw.trim());
    if (value < min || value > max) throw new SettingError(`must be a number between ${min} and ${max}`);
    return value;
  };

/** Unset (empty) or an integer in range. */
export const optionalInt =
  (min: number, max: number): Parser<number | undefined> =>
  (raw) =>
    raw.trim() ? int(min, max)(raw) : undefined;

export const bool: Parser<boolean> = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new SettingError('must be true/false (or 1/0)');
};

/** pino's levels, most verbose first (a level logs itself and everything after it). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const oneOf =
  <T extends string>(...values: readonly T[]): Parser<T> =>
  (raw) => {
    const v = raw.trim() as T;
    if (!values.includes(v)) throw new SettingError(`must be one of ${values.join(', ')}`);
    return v;
  };

const httpUrl: Parser<string> = (raw) => {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new SettingError('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SettingError('must be an http(s) URL');
  return url.toString().replace(/\/$/, '');
};

export const optionalHttpUrl: Parser<string | undefined> = (raw) => (raw.trim() ? httpUrl(raw) : undefined);

export const urlWithScheme =
  (...schemes: string[]): Parser<string | undefined> =>
  (raw) => {
    if (!raw.trim()) return undefined;
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw new SettingError(`must be a URL (${schemes.join(', ')})`);
    }
    if (!schemes.includes(url.protocol.replace(/:$/, ''))) {
      throw new SettingError(`must use one of the schemes ${schemes.join(', ')}`);
    }
    return raw.trim();
  };

export const cidrList: Parser<string[]> = (raw) => {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    const [address, prefix, extra] = item.split('/');
    const max = address && isIPv4(address) ? 32 : address && isIPv6(address) ? 128 : -1;
    if (max < 0 || extra !== undefined) throw new SettingError(`"${item}" is not an IP address or CIDR`);
    if (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > max)) {
      throw new SettingError(`"${item}" has an invalid prefix length`);
    }
  }
  return items;
};

export const secretString =
  (minLength: number): Parser<string | undefined> =>
  (raw) => {
    if (!raw) return undefined;
    if (raw.length < minLength) throw new SettingError(`must be at least ${minLength} characters`);
    return raw;
  };

export const keyPrefix: Parser<string> = (raw) => {
  if (!/^[a-z][a-z0-9]{1,15}$/.test(raw)) throw new SettingError('must be 2-16 lowercase letters/digits');
  return raw;
};

export interface PlanSetting {
  name: string;
  uploadsPerMonth: number;
  storageBytes: number;
  label: string;
}

/** `name:uploads/month:storage MB[:label]`, comma-separated, cheapest plan first. */
export const plans: Parser<PlanSetting[]> = (raw) => {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [name, uploads, storageMb, ...labelParts] = item.split(':');
      if (!name || !/^[a-z][a-z0-9_-]{0,31}$/.test(name) || !uploads || !storageMb) {
        throw new SettingError(`"${item}" must look like name:uploads:storage_mb[:label]`);
      }
      if (!/^\d+$/.test(uploads) || !/^\d+$/.test(storageMb)) {
        throw new SettingError(`"${item}" needs whole numbers for uploads and storage`);
      }
      const label = labelParts.join(':') || `${name[0]?.toUpperCase()}${name.slice(1)}`;
      return {
        name,
        uploadsPerMonth: Number(uploads),
        storageBytes: Number(storageMb) * 1024 * 1024,
        label,
      };
    });
  if (list.length === 0) throw new SettingError('needs at least one plan');
  if (new Set(list.map((p) => p.name)).size !== list.length)
    throw new SettingError('plan names must be unique');
  return list;
};

export const regexList: Parser<RegExp[]> = (raw) =>
  raw
    .split('\n')
    .flatMap((line) => line.split(';;'))
    .map((s) => s.trim())
    .filter(Boolean)
    .map((pattern) => {
      try {
        return new RegExp(pattern, 'iu');
      } catch {
        throw new SettingError(`"${pattern}" is not a valid regular expression`);
      }
    });

export const optionalString: Parser<string | undefined> = (raw) => (raw.trim() ? raw.trim() : undefined);

export type ProviderName = 'onnx' | 'http' | 'classical';

/** `auto`: `onnx,classical` when a segmentation model is set or installed, else `classical` (decided at start). */
export const providerChain: Parser<ProviderName[] | 'auto'> = (raw) => {
  if (raw.trim() === 'auto') return 'auto';
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new SettingError('needs at least one provider');
  for (const name of names) {
    if (!['onnx', 'http', 'classical'].includes(name)) throw new SettingError(`unknown provider "${name}"`);
  }
  if (new Set(names).size !== names.length) throw new SettingError('lists a provider twice');
  return names as ProviderName[];
};

export const secondsList: Parser<number[]> = (raw) => {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (list.length === 0 || list.some((n) => !Number.isFinite(n) || n < 0 || n > 7 * 86400)) {
    throw new SettingError('must be comma-separated seconds between 0 and 604800');
  }
  return list;
};

/** `*`, or comma-separated origins (`scheme://host[:port]`, no path); empty means no cross-origin access. */
export const corsOrigins: Parser<string[]> = (raw) => {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 1 && items[0] === '*') return ['*'];
  return items.map((item) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new SettingError(`${JSON.stringify(item)} is not an origin (scheme://host[:port]) or *`);
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.origin !== item.replace(/\/$/, '')) {
      throw new SettingError(`${JSON.stringify(item)} is not an origin (scheme://host[:port]) or *`);
    }
    return url.origin;
  });
};
