// The dashboard's JSON endpoints from the browser: same-origin fetch with the session's CSRF token (from the page's
// <meta name="csrf-token">) on every write, errors turned into messages a person can act on. Later dashboard pages
// import this module too.

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls `/dashboard/api<path>`; resolves with the JSON answer, rejects with an ApiError. */
export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken();
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/dashboard/api${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached. Check the connection and try again.');
  }
  const answer = await response.json().catch(() => null);
  if (response.ok) return answer;
  const error = answer?.error ?? {};
  if (error.code === 'sign_in_required') {
    // The session ended (idle, expired or signed out elsewhere): sign in again and come back here.
    window.location.assign(`/sign-in?next=${encodeURIComponent(window.location.pathname)}`);
  }
  throw new ApiError(
    response.status,
    error.code ?? 'unknown',
    error.message ?? `Request failed (${response.status}).`,
  );
}

/**
 * Replaces the element with `id` by the same element of a fresh copy of this page: the server renders every view,
 * so the markup has one source. Focus stays where it was when the element survives.
 */
export async function refreshRegion(id) {
  const response = await fetch(window.location.pathname, {
    headers: { accept: 'text/html' },
    credentials: 'same-origin',
  });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById(id);
  const current = document.getElementById(id);
  if (fresh && current) {
    current.replaceWith(document.importNode(fresh, true));
    revealScripted(document.getElementById(id));
  }
}

/** Shows what needs JavaScript to work (`data-requires-js hidden` in the markup). */
export function revealScripted(root = document) {
  for (const element of root.querySelectorAll('[data-requires-js]')) element.hidden = false;
}

/** Announces a message in the page's live region (`role=status`). */
export function announce(regionId, kind, text) {
  const region = document.getElementById(regionId);
  if (!region) return;
  region.replaceChildren();
  const box = document.createElement('div');
  box.className = `notice notice-${kind}`;
  box.textContent = text;
  region.append(box);
}
