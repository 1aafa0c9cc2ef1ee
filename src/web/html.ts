/**
 * Typed HTML templates. `html\`…\`` escapes every interpolated value unless it is already `Html` (the result of
 * another `html` template, or of `raw` — the one explicit way to insert markup as is). So markup built from data
 * is safe by default, and unsafe markup is visible in review as a `raw(` call.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What a template accepts: `null`, `undefined` and `false` render nothing (so `cond && html\`…\`` works). */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text → HTML text or attribute value (quoted with either quote). */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Markup inserted as is. Only for markup this server wrote (never for anything a request or a row holds). */
export const raw = (trusted: string): Html => new Html(trusted);
