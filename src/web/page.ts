import type { FastifyRequest } from 'fastify';
import type { Services } from '../app/compose.ts';
import type { OperatorSession } from '../sessions/operator-sessions.ts';
import type { OwnerSession } from '../sessions/sessions.ts';
import type { Html } from './html.ts';

/** Which part of the site a page belongs to: it picks the highlighted top link and the side navigation. */
export type Area = 'site' | 'docs' | 'dashboard' | 'admin';

export interface NavEntry {
  label: string;
  /** Position in its area's side navigation (ascending). */
  order: number;
}

export interface PageContext {
  services: Services;
  request: FastifyRequest;
  params: Readonly<Record<string, string>>;
  query: Readonly<Record<string, unknown>>;
}

/** An owner page or form runs only with a live session; its CSRF token goes into every form and fetch. */
export interface OwnerContext extends PageContext {
  session: OwnerSession;
  csrfToken: string;
}

/** An operator page or form runs only with a live operator session (signed in with the admin token). */
export interface OperatorContext extends PageContext {
  operator: OperatorSession;
  csrfToken: string;
}

/** What a page renders into the layout. */
export interface PageView {
  status?: number;
  /** `<title>` is `<title> · Lightbox` unless `documentTitle` sets it exactly (the viewer: the image's name). */
  title: string;
  documentTitle?: string;
  main: Html;
  /** ES modules of `assets/` this page loads; none → the page's CSP allows no script at all. */
  scripts?: readonly string[];
  head?: Html;
  /** Overrides the page's cache policy (e.g. an error state of a public page). */
  cache?: 'public' | 'no-store';
  /** Pages whose URL holds a secret (signed links, sign-in links) must not leak it in `Referer`. */
  referrer?: 'no-referrer';
  /** Other origins this page shows images from (an enhancement's sources), added to its CSP's `img-src`. */
  imageOrigins?: readonly string[];
}

/** A redirect instead of a page (`303` after a form, `302` otherwise). */
export interface Redirect {
  redirect: string;
  status?: 302 | 303;
  /**
   * Starts a session (its id goes into the cookie) or ends the browser's one (the cookie is cleared); `kind`
   * `operator` is the operator cookie's (the default is the owner's).
   */
  session?: ({ start: string } | { end: true }) & { kind?: 'operator' };
  headers?: Record<string, string>;
}

export type PageOutput = PageView | Redirect;

export const isRedirect = (output: PageOutput): output is Redirect => 'redirect' in output;

interface PageBase {
  /** Fastify route path (`/i/:id`). */
  path: string;
  area: Area;
  /** Listed in the side navigation of its area. */
  nav?: NavEntry;
}

export interface PublicPage extends PageBase {
  access: 'public';
  /** `public` (the default): cacheable for 5 minutes, so it must not depend on who asks. */
  cache?: 'public' | 'no-store';
  render(ctx: PageContext): Promise<PageOutput> | PageOutput;
}

/** Needs a signed-in owner: without a session the browser is sent to `/sign-in?next=<this page>`. Never cached. */
export interface OwnerPage extends PageBase {
  access: 'owner';
  render(ctx: OwnerContext): Promise<PageOutput> | PageOutput;
}

/** Needs an operator session: without one the browser is sent to `/admin/sign-in?next=<this page>`. Never cached. */
export interface OperatorPage extends PageBase {
  access: 'operator';
  render(ctx: OperatorContext): Promise<PageOutput> | PageOutput;
}

export type PageDef = PublicPage | OwnerPage | OperatorPage;

/** An HTML form's POST (`application/x-www-form-urlencoded`). Answers with a page or a 303. */
export interface PublicForm {
  path: string;
  access: 'public';
  area: Area;
  handle(ctx: PageContext, fields: Readonly<Record<string, string>>): Promise<PageOutput>;
}

/** A signed-in owner's form: refused unless its `csrf` field is the session's token. */
export interface OwnerForm {
  path: string;
  access: 'owner';
  area: Area;
  handle(ctx: OwnerContext, fields: Readonly<Record<string, string>>): Promise<PageOutput>;
}

/** An operator's form: refused unless there is an operator session and its `csrf` field is that session's token. */
export interface OperatorForm {
  path: string;
  access: 'operator';
  area: Area;
  handle(ctx: OperatorContext, fields: Readonly<Record<string, string>>): Promise<PageOutput>;
}

export type FormDef = PublicForm | OwnerForm | OperatorForm;
