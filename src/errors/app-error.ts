import type { ActionType, ErrorCode } from './catalog.ts';

export interface ErrorAction {
  type: ActionType;
  url?: string;
  label?: string;
  seconds?: number;
}

export interface ErrorUsage {
  plan: string;
  uploads_used: number;
  uploads_limit: number;
}

export interface AppErrorDetails {
  message?: string;
  /** Overrides the catalog status where the contract allows two (e.g. `fetch_failed` 502/504). */
  status?: number;
  action?: ErrorAction;
  usage?: ErrorUsage;
  errors?: Record<string, string[]>;
  retryAfter?: number;
  headers?: Record<string, string>;
}

/** The only error the domain throws on purpose: a catalog code plus what the family envelope may carry. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly details: AppErrorDetails = {},
  ) {
    super(details.message ?? code);
    this.name = 'AppError';
  }
}

export const isAppError = (value: unknown): value is AppError => value instanceof AppError;

/** A field-level validation failure; rendered as `validation_error` (hosting) or `invalid_payload` (enhancement). */
export function validationError(
  errors: Record<string, string[]>,
  details: Omit<AppErrorDetails, 'errors'> = {},
): AppError {
  return new AppError('invalid_payload', { ...details, errors });
}
