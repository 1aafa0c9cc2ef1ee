import { type SchemaOptions, type Static, Type } from '@sinclair/typebox';
import { component, ref, StringEnum } from './common.ts';

/** The error envelopes of the two wire families (docs/errors.md): one schema per family, narrowed per status. */

const ACTION_TYPES = ['upgrade', 'verify', 'wait', 'redirect'] as const;

const ErrorAction = component(
  'ErrorAction',
  Type.Object(
    {
      type: StringEnum(ACTION_TYPES, {
        description:
          '`upgrade`: a signed upgrade link; `verify`: a signed link that mails a verification link to the owner; `wait`: retry after `seconds`; `redirect`: open `url` (dashboard or docs).',
      }),
      url: Type.Optional(Type.String({ format: 'uri' })),
      label: Type.Optional(Type.String({ description: 'Button text for people.' })),
      seconds: Type.Optional(
        Type.Integer({ minimum: 0, description: '`wait` only: the same number as `Retry-After`.' }),
      ),
    },
    { description: 'What the client should do next (hosting family).' },
  ),
);

const ErrorUsage = component(
  'ErrorUsage',
  Type.Object(
    {
      plan: Type.String(),
      uploads_used: Type.Integer({ minimum: 0 }),
      uploads_limit: Type.Integer({ minimum: 0 }),
    },
    { description: 'The month’s upload usage (`quota_exceeded`).' },
  ),
);

/** Which optional members a hosting error of these codes can carry. */
export interface HostingErrorExtras {
  action: boolean;
  usage: boolean;
  errors: boolean;
  retryAfter: boolean;
}

/** Hosting family (`/v1`): flat, img.pro-compatible; `request_id` is Lightbox's addition. */
export const hostingErrorEnvelope = (
  codes: readonly string[],
  extras: HostingErrorExtras,
  options: SchemaOptions,
) =>
  Type.Object(
    {
      error: StringEnum(codes),
      message: Type.String(),
      ...(extras.action ? { action: Type.Optional(ref(ErrorAction)) } : {}),
      ...(extras.usage ? { usage: Type.Optional(ref(ErrorUsage)) } : {}),
      ...(extras.errors
        ? {
            errors: Type.Optional(
              Type.Record(Type.String(), Type.Array(Type.String()), {
                description: 'Messages per field (`body` for the request as a whole).',
              }),
            ),
          }
        : {}),
      ...(extras.retryAfter
        ? {
            retry_after: Type.Optional(
              Type.Integer({ minimum: 0, description: 'Seconds to wait; the same number as `Retry-After`.' }),
            ),
          }
        : {}),
      request_id: Type.String({
        description: 'Also the `X-Request-Id` header; quote it when reporting a problem.',
      }),
    },
    options,
  );

/** Enhancement family (`/api/v1`) and operator API (`/admin/v1`): nested, exactly these three fields. */
export const nestedErrorEnvelope = (codes: readonly string[], options: SchemaOptions) =>
  Type.Object(
    {
      error: Type.Object({
        code: StringEnum(codes),
        message: Type.String(),
        request_id: Type.String({ description: 'Also the `X-Request-Id` header.' }),
      }),
    },
    options,
  );

/** The static shape of any error body, for the type of a route's replies. */
export type ErrorBody =
  | {
      error: string;
      message: string;
      action?: Static<typeof ErrorAction>;
      usage?: Static<typeof ErrorUsage>;
      errors?: Record<string, string[]>;
      retry_after?: number;
      request_id: string;
    }
  | { error: { code: string; message: string; request_id: string } };

export const errorComponents = [ErrorAction, ErrorUsage];
