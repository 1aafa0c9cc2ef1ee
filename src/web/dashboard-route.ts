import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Services } from '../app/compose.ts';
import type { OwnerSession } from '../sessions/sessions.ts';

/**
 * The shape of one dashboard JSON endpoint (the registry is `DASHBOARD_API` in dashboard-api.ts). Each area's
 * endpoints live in their own module (`media-api.ts`, …) and are listed there.
 */

/** A multipart upload as the HTTP layer receives it (http/receive-upload.ts): one file in a temp file, text fields. */
export interface ReceivedUpload {
  fields: Record<string, string>;
  file: { path: string; size: number; filename: string } | null;
  /** Removes the temp file; safe to call twice. */
  discard(): Promise<void>;
}

/** Receives a multipart body (web/ does not import http/: server.ts hands its receiver in). */
export type UploadReceiver = (
  request: FastifyRequest,
  options: { tmpDir: string; maxBytes: number },
) => Promise<ReceivedUpload>;

export interface ApiCall<Body, Params, Query> {
  services: Services;
  session: OwnerSession;
  body: Body;
  params: Params;
  query: Query;
  requestId: string;
  clientIp: string;
  /** Set for `upload` routes: the file received, removed again after `handle`. */
  upload?: ReceivedUpload;
}

/**
 * One dashboard endpoint: session auth always; for anything but GET, the CSRF header and a same-site request,
 * checked before the body is read. `handle` makes one service call with the signed-in account.
 */
interface ApiRoute<B extends TSchema, P extends TSchema, Q extends TSchema> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: B;
  params?: P;
  query?: Q;
  status?: number;
  /**
   * A `multipart/form-data` body with one `file` (≤ LIGHTBOX_MAX_UPLOAD_MB): `admit` runs first, before a byte of
   * the body is read (quota, account), then the file is received into `call.upload`.
   */
  upload?: { admit(call: ApiCall<undefined, Static<P>, Static<Q>>): Promise<void> };
  handle(call: ApiCall<Static<B>, Static<P>, Static<Q>>): Promise<unknown>;
}

/** A route with its schemas' types erased, so routes of different shapes share one list. */
export type AnyApiRoute = Omit<ApiRoute<TSchema, TSchema, TSchema>, 'handle' | 'upload'> & {
  upload?: { admit(call: ApiCall<undefined, unknown, unknown>): Promise<void> };
  handle(call: ApiCall<unknown, unknown, unknown>): Promise<unknown>;
};

type Call<B extends TSchema, P extends TSchema, Q extends TSchema> = ApiCall<Static<B>, Static<P>, Static<Q>>;

export const route = <B extends TSchema, P extends TSchema, Q extends TSchema>(
  r: ApiRoute<B, P, Q>,
): AnyApiRoute => ({
  ...r,
  // The body, params and query were validated against `r.body` / `r.params` / `r.query` before these run.
  ...(r.upload
    ? {
        upload: {
          admit: (call) =>
            (r.upload as NonNullable<typeof r.upload>).admit(
              call as ApiCall<undefined, Static<P>, Static<Q>>,
            ),
        },
      }
    : {}),
  handle: (call) => r.handle(call as Call<B, P, Q>),
});
