/**
 * Whether a request's `Accept` header prefers HTML to JSON — what a browser navigating to a URL sends
 * (`text/html,…,*\/*;q=0.8`). API clients send nothing, `*\/*` or `application/json`: a tie goes to JSON, so their
 * error envelopes never change.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  return qualityOf(accept, 'text', 'html') > qualityOf(accept, 'application', 'json');
}

/** The q-value the header gives a type: the most specific matching range decides (RFC 9110 §12.5.1). */
function qualityOf(accept: string, type: string, subtype: string): number {
  let best = { specificity: -1, q: 0 };
  for (const part of accept.split(',').slice(0, 50)) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const [t, s] = range.trim().split('/');
    const specificity =
      t === type && s === subtype ? 2 : t === type && s === '*' ? 1 : t === '*' && s === '*' ? 0 : -1;
    if (specificity <= best.specificity) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    best = { specificity, q: Number.isFinite(q) ? q : 0 };
  }
  return best.q;
}
