import path from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import staticFiles from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { Services } from '../app/compose.ts';
import { AppError } from '../errors/app-error.ts';
import { resolveOperatorSession } from '../sessions/operator-sessions.ts';
import { createCsrf } from '../sessions/secrets.ts';
import { resolveSession } from '../sessions/sessions.ts';
import { ASSETS_DIR, assetEtag, assetFile } from './assets.ts';
import { dashboardApi } from './dashboard-api.ts';
import type { UploadReceiver } from './dashboard-route.ts';
import { renderDocument } from './layout.ts';
import {
  type Area,
  isRedirect,
  type OperatorContext,
  type OwnerContext,
  type PageContext,
  type PageOutput,
} from './page.ts';
import { pageHeaders } from './page-headers.ts';
import { OPERATOR_SIGN_IN_PATH, OPERATOR_SIGN_OUT_PATH, operatorDeps } from './pages/admin-shared.ts';
import { AREA_NAV, FORMS, PAGES } from './pages/index.ts';
import { operatorCookie, refuseCrossSite, sessionCookie } from './session-cookie.ts';

/**
 * Forms are small: sign-in and confirmations a few hundred bytes, the largest (an operator's credit grant with a
 * 500-character note, every character percent-encoded UTF-8) under 8 KB. Anything much larger is not one of ours.
 */
const FORM_BODY_LIMIT = 8192;

/** Origins other than the public URL's that pages show images from: the `src` base, when it is another host. */
function imageOrigins(config: { publicUrl: string; srcBase: string }): string[] {
  const src = new URL(config.srcBase).origin;
  return src === new URL(config.publicUrl).origin ? [] : [src];
}

/** A form's fields as strings; anything that is not a urlencoded form (JSON, text) has none. */
function formFields(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null) return {};
  return Object.fromEntries(
    Object.entries(body).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/**
 * The web pages (docs/web.md): every page and form of the registry (pages/index.ts), the assets, and the
 * dashboard's JSON endpoints. Pages are server-rendered HTML; owner pages and forms need a session.
 */
/**
 * `documented`: route schemas (by page path) of the pages that are part of the public API description — the
 * viewer — given by `http/` (web/ never imports it); every other page is hidden from the OpenAPI document.
 */
export const webRoutes =
  (
    services: Services,
    http: { receiveUpload: UploadReceiver },
    documented: Readonly<Record<string, FastifySchema>> = {},
  ): FastifyPluginAsync =>
  async (app) => {
    const { config } = services;
    const cookies = sessionCookie(config);
    const operatorCookies = operatorCookie(config);
    const csrf = createCsrf(services.secrets.secret);
    const images = imageOrigins(config);

    await app.register(cookie);
    await app.register(staticFiles, {
      root: ASSETS_DIR,
      serve: false,
      etag: false,
      lastModified: false,
      cacheControl: false,
    });

    app.get<{ Params: { version: string; file: string } }>(
      '/assets/:version/:file',
      { schema: { hide: true } },
      async (request, reply) => {
        const { version, file } = request.params;
        const etag = assetEtag(version, file);
        if (!etag) throw new AppError('not_found', { message: 'No such asset.' });
        reply
          .header('cache-control', 'public, max-age=31536000, immutable')
          .header('etag', etag)
          .header('x-content-type-options', 'nosniff');
        if (request.headers['if-none-match'] === etag) return reply.status(304).send();
        const onDisk = assetFile(file) as string;
        return reply.sendFile(path.basename(onDisk), path.dirname(onDisk));
      },
    );

    const send = (
      request: FastifyRequest,
      reply: FastifyReply,
      page: { area: Area; cache: 'public' | 'no-store' },
      output: PageOutput,
      signedIn?: { email: string; csrfToken: string; signOutPath?: string },
    ) => {
      if (isRedirect(output)) {
        const jar = output.session?.kind === 'operator' ? operatorCookies : cookies;
        if (output.session && 'start' in output.session) jar.set(reply, output.session.start);
        if (output.session && 'end' in output.session) jar.clear(reply);
        return reply
          .headers({ 'cache-control': 'no-store', ...output.headers })
          .redirect(output.redirect, output.status ?? 302);
      }
      const headers = pageHeaders({
        scripts: (output.scripts ?? []).length > 0,
        imageOrigins: [...images, ...(output.imageOrigins ?? [])],
        cache: output.cache ?? page.cache,
        ...(output.referrer ? { referrer: output.referrer } : {}),
      });
      const body = renderDocument({
        view: output,
        area: page.area,
        path: request.url.split('?')[0] ?? '/',
        nav: AREA_NAV,
        config,
        session: signedIn,
      });
      return reply
        .status(output.status ?? 200)
        .headers(headers)
        .send(body);
    };

    const contextOf = (request: FastifyRequest): PageContext => ({
      services,
      request,
      params: request.params as Record<string, string>,
      query: request.query as Record<string, unknown>,
    });
    const ownerContext = async (request: FastifyRequest): Promise<OwnerContext | null> => {
      const session = await resolveSession(services, cookies.read(request));
      return session && { ...contextOf(request), session, csrfToken: csrf.tokenOf(session.id) };
    };
    const operatorContext = async (request: FastifyRequest): Promise<OperatorContext | null> => {
      const operator = await resolveOperatorSession(operatorDeps(services), operatorCookies.read(request));
      return operator && { ...contextOf(request), operator, csrfToken: csrf.tokenOf(operator.id) };
    };
    const ownerBar = (ctx: OwnerContext) => ({ email: ctx.session.account.email, csrfToken: ctx.csrfToken });
    const operatorBar = (ctx: OperatorContext) => ({
      email: 'Operator',
      csrfToken: ctx.csrfToken,
      signOutPath: OPERATOR_SIGN_OUT_PATH,
    });

    for (const page of PAGES) {
      app.get(page.path, { schema: documented[page.path] ?? { hide: true } }, async (request, reply) => {
        if (page.access === 'public') {
          const output = await page.render(contextOf(request));
          return send(request, reply, { area: page.area, cache: page.cache ?? 'public' }, output);
        }
        const next = encodeURIComponent(request.url);
        if (page.access === 'operator') {
          const ctx = await operatorContext(request);
          if (!ctx) {
            return reply
              .header('cache-control', 'no-store')
              .redirect(`${OPERATOR_SIGN_IN_PATH}?next=${next}`, 302);
          }
          const output = await page.render(ctx);
          return send(request, reply, { area: page.area, cache: 'no-store' }, output, operatorBar(ctx));
        }
        const ctx = await ownerContext(request);
        if (!ctx) {
          return reply.header('cache-control', 'no-store').redirect(`/sign-in?next=${next}`, 302);
        }
        const output = await page.render(ctx);
        return send(request, reply, { area: page.area, cache: 'no-store' }, output, ownerBar(ctx));
      });
    }

    // Forms in their own scope: only they take `application/x-www-form-urlencoded` (elsewhere it stays a 415).
    await app.register(async (forms) => {
      await forms.register(formbody, { bodyLimit: FORM_BODY_LIMIT });
      for (const form of FORMS) {
        forms.post(form.path, { schema: { hide: true } }, async (request, reply) => {
          refuseCrossSite(request, config.publicUrl);
          const fields = formFields(request.body);
          const page = { area: form.area, cache: 'no-store' as const };
          if (form.access === 'public') {
            return send(request, reply, page, await form.handle(contextOf(request), fields));
          }
          if (form.access === 'operator') {
            const ctx = await operatorContext(request);
            if (!ctx) throw new AppError('sign_in_required');
            if (!csrf.check(ctx.operator.id, fields.csrf)) throw new AppError('csrf_token_invalid');
            return send(request, reply, page, await form.handle(ctx, fields), operatorBar(ctx));
          }
          const ctx = await ownerContext(request);
          if (!ctx) throw new AppError('sign_in_required');
          if (!csrf.check(ctx.session.id, fields.csrf)) throw new AppError('csrf_token_invalid');
          return send(request, reply, page, await form.handle(ctx, fields), ownerBar(ctx));
        });
      }
    });

    await app.register(dashboardApi(services, { cookies, csrf, receiveUpload: http.receiveUpload }));
  };
