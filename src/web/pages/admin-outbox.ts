import { copyField, heading, notice, time } from '../components.ts';
import { type Html, html } from '../html.ts';
import type { OperatorContext, OperatorPage, PageView } from '../page.ts';
import { adminView } from './admin-shared.ts';

/**
 * `/admin/outbox`: the mail this server sent or keeps (docs/api.md §4: without SMTP it stays here), newest first,
 * with the links each carries — verification, key approval, sign-in. Those links are secrets (whoever holds one can
 * act on it): they are shown only here, behind the operator session, as text to copy and hand to their owner — not
 * as links to follow, so the operator does not sign in as an owner by a stray click. The page is never cached and
 * sends no referrer.
 */
const LIMIT = 100;

type Message = Awaited<ReturnType<OperatorContext['services']['mailer']['list']>>[number];

const RELS: Record<string, string> = {
  verify: 'Verification link',
  'approve-key': 'Key approval link',
  'sign-in': 'Sign-in link',
};

function message(m: Message): Html {
  return html`<article class="mail card" aria-labelledby="mail-${m.id}">
<h2 id="mail-${m.id}" class="mail-subject">${m.subject}</h2>
<dl class="facts">
<dt>To</dt><dd><a href="/admin/accounts?q=${encodeURIComponent(m.to)}">${m.to}</a></dd>
<dt>Written</dt><dd>${time(m.created_at)}</dd>
<dt>Delivered</dt><dd>${m.sent_at === null ? html`<span class="muted">not sent by SMTP (kept here)</span>` : time(m.sent_at)}</dd>
</dl>
${m.links.map((link) => copyField(RELS[link.rel] ?? `Link (${link.rel})`, link.url))}
<details><summary>Message text</summary><pre class="mail-text">${m.text}</pre></details>
</article>`;
}

async function render(ctx: OperatorContext): Promise<PageView> {
  const to = typeof ctx.query.to === 'string' ? ctx.query.to.trim().slice(0, 254) : '';
  const messages = await ctx.services.mailer.list({ ...(to ? { to } : {}), limit: LIMIT });
  const mode = ctx.services.config.mail.kind;
  return adminView({
    title: 'Outbox',
    referrer: 'no-referrer',
    main: html`${heading('Outbox', mode === 'smtp' ? 'Mail this server sent by SMTP, newest first.' : 'No SMTP server is configured: mail stays here. Hand a link to its owner yourself.')}
${notice('warning', 'The links below are secrets: whoever has one can act on it (verify, approve a key, sign in). Give each only to the owner of its address.')}
<form method="get" action="/admin/outbox" class="search-form" role="search">
<label for="outbox-to">Sent to</label>
<div class="copy-row"><input id="outbox-to" name="to" type="email" value="${to}" maxlength="254" autocomplete="off"><button type="submit" class="primary">Show</button></div>
</form>
${to ? html`<p><a href="/admin/outbox">All mail</a></p>` : null}
${messages.length === 0 ? html`<p class="empty-note">${to ? html`No mail to ${to}.` : 'No mail yet.'}</p>` : html`<div class="mail-list">${messages.map(message)}</div>`}
${messages.length === LIMIT ? html`<p class="help">The newest ${LIMIT} messages${to ? '' : ' of all addresses'}; narrow by address to see others.</p>` : null}`,
  });
}

export const ADMIN_OUTBOX_PAGE: OperatorPage = {
  path: '/admin/outbox',
  area: 'admin',
  access: 'operator',
  nav: { label: 'Outbox', order: 30 },
  render,
};
