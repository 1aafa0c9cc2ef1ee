// The dashboard's JSON endpoints from the browser: same-origin fetch with the session's CSRF token (from the page's
// <meta name="csrf-token">) on every write, errors turned into messages a person can act on. Later dashboard pages
// import this module too.

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

export class ApiError extends Error {
  constructor(status, code, message, errors) {
    super(message);
    this.status = status;
    this.code = code;
    /** `invalid_payload`: the messages of each field. */
    this.errors = errors;
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
    error.errors,
  );
}

/**
 * Replaces the element with `id` by the same element of a fresh copy of this page: the server renders every view,
 * so the markup has one source. Focus stays where it was when the element survives.
 */
export async function refreshRegion(id) {
  const fresh = (await fetchPage(window.location.pathname + window.location.search))?.getElementById(id);
  const current = document.getElementById(id);
  if (fresh && current) {
    current.replaceWith(document.importNode(fresh, true));
    revealScripted(document.getElementById(id));
  }
}

/** A page of this site as a document (null when it did not answer 200): the markup of its regions has one source. */
export async function fetchPage(url) {
  const response = await fetch(url, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
  if (!response.ok) return null;
  return new DOMParser().parseFromString(await response.text(), 'text/html');
}

/** A yes/no question in the page's <dialog id="confirm-dialog">; resolves true when confirmed. */
export function confirmWith(text, actionLabel) {
  const dialog = document.getElementById('confirm-dialog');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-button').textContent = actionLabel;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

/** Field errors of an `invalid_payload` answer as a list in `containerId` (emptied when there are none). */
export function showFieldErrors(containerId, error) {
  const container = document.getElementById(containerId);
  if (!container) return;
  container.replaceChildren();
  const fields = error?.errors ?? {};
  const entries = Object.entries(fields);
  if (entries.length === 0) return;
  const list = document.createElement('ul');
  for (const [field, messages] of entries) {
    for (const message of messages) {
      const item = document.createElement('li');
      item.textContent = `${field}: ${message}`;
      list.append(item);
    }
  }
  container.append(list);
}

/** Calls `fn` every `ms` while the page is visible, until it resolves false. */
export function poll(fn, ms) {
  let timer = null;
  const tick = async () => {
    timer = null;
    if (document.visibilityState === 'hidden') return;
    let again = false;
    try {
      again = await fn();
    } catch {
      again = true;
    }
    if (again) timer = setTimeout(tick, ms);
  };
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && timer === null) tick();
  });
  timer = setTimeout(tick, ms);
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
