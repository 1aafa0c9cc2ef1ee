const LOCAL_URL = /^url\(\s*(["']?)#[^"'()\s]*\1\s*\)$/i;
const ANY_URL = /url\(\s*(["']?)[^)]*?\1\s*\)/gi;
const IMPORT_RULE = /@import\b[^;]*(;|$)/gi;
// Old browser hooks that run code or load things, and `<` that could end the <style> element in HTML.
const FORBIDDEN =
  /javascript:|vbscript:|expression\s*\(|-moz-binding|behavior\s*:|@import|@namespace|image-set\s*\(|</i;

/**
 * CSS from a `<style>` element or a `style` attribute, with every external reference removed: `@import`
 * rules go, and `url(...)` that is not a local `#fragment` becomes `none`. Returns null when the text
 * cannot be made safe (CSS escapes such as `u\72l(` can spell anything, so text with a backslash is
 * refused rather than decoded).
 */
export function sanitizeCss(css: string): string | null {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, ' ');
  if (text.includes('\\') || text.includes('/*')) return null;
  const cleaned = text
    .replace(IMPORT_RULE, '')
    .replace(ANY_URL, (url) => (LOCAL_URL.test(url) ? url : 'none'));
  if (FORBIDDEN.test(cleaned)) return null;
  // Anything still shaped like url( after the rewrite was malformed (unbalanced quotes or parentheses).
  for (const match of cleaned.matchAll(/url\(/gi)) {
    const rest = cleaned.slice(match.index);
    const end = rest.indexOf(')');
    if (end < 0 || !LOCAL_URL.test(rest.slice(0, end + 1))) return null;
  }
  return cleaned.trim();
}

/** A presentation attribute value may hold `url(#id)` (fills, filters, clips, markers), nothing remote. */
export function isSafeAttributeValue(value: string): boolean {
  // XML 1.0 forbids the other control characters, so whitespace is all that can split a keyword.
  const compact = value.replace(/\s+/g, '').toLowerCase();
  if (/javascript:|vbscript:|data:|expression\(/.test(compact)) return false;
  for (const match of value.matchAll(ANY_URL)) if (!LOCAL_URL.test(match[0])) return false;
  return !/url\((?!\s*["']?#)/i.test(value);
}
