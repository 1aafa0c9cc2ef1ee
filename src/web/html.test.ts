import { describe, expect, it } from 'vitest';
import { escapeHtml, Html, html, raw } from './html.ts';

describe('html templates', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    const name = `<script>alert("x")</script> & 'y'`;
    const out = html`<p title="${name}">${name}</p>`.value;
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</p>',
    );
  });

  it('nests templates without escaping them twice; raw is the only way to insert markup as is', () => {
    const inner = html`<b>${'a<b'}</b>`;
    expect(html`<p>${inner}</p>`.value).toBe('<p><b>a&lt;b</b></p>');
    expect(html`<p>${raw('<i>ok</i>')}</p>`.value).toBe('<p><i>ok</i></p>');
    expect(html`<p>${'<i>no</i>'}</p>`.value).toBe('<p>&lt;i&gt;no&lt;/i&gt;</p>');
  });

  it('renders arrays (escaping each item), numbers, and nothing for null, undefined and false', () => {
    const items = ['<a>', html`<li>x</li>`, 3, null, undefined, false];
    expect(html`${items}`.value).toBe('&lt;a&gt;<li>x</li>3');
    expect(html`${true}`.value).toBe('true');
    expect(html`x`).toBeInstanceOf(Html);
    expect(String(html`<i>${'&'}</i>`)).toBe('<i>&amp;</i>');
  });

  it('escapeHtml covers the five characters that matter and nothing else', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
    expect(escapeHtml('plain text: é ü / = ;')).toBe('plain text: é ü / = ;');
  });
});
