// One image of the library: save the edit form, delete, and the rendition builder's live preview.
import './copy.js';
import {
  ApiError,
  announce,
  api,
  confirmWith,
  refreshRegion,
  revealScripted,
  showFieldErrors,
} from './dashboard-api.js';

const STATUS = 'media-status';

async function onSave(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const id = form.dataset.mediaId;
  const data = new FormData(form);
  const body = {
    name: String(data.get('name') ?? '').trim(),
    tags: String(data.get('tags') ?? ''),
    namespace: String(data.get('namespace') ?? '').trim() || null,
    public: data.get('public') === 'on',
  };
  const ttl = String(data.get('ttl') ?? '').trim();
  // "never" lifts an expiry that was set (the account's retention, if any, still applies).
  if (ttl) body.ttl = ttl.toLowerCase() === 'never' ? null : /^\d+$/.test(ttl) ? Number(ttl) : ttl;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  showFieldErrors('edit-errors', null);
  try {
    const saved = await api('PATCH', `/media/${encodeURIComponent(id)}`, body);
    document.getElementById('media-name').textContent = saved.name;
    document.title = `${saved.name} · Lightbox`;
    form.querySelector('[name="ttl"]').value = '';
    // The facts first: "Changes saved." is read out once the page shows them.
    await refreshRegion('media-facts');
    announce(STATUS, 'success', 'Changes saved.');
  } catch (error) {
    announce(STATUS, 'error', error.message);
    if (error instanceof ApiError) showFieldErrors('edit-errors', error);
  } finally {
    button.disabled = false;
  }
}

async function onDelete(event) {
  const button = event.currentTarget;
  const { mediaId, mediaName, back } = button.dataset;
  const sure = await confirmWith(
    `Delete “${mediaName}”? Its links stop working. This cannot be undone.`,
    'Delete',
  );
  if (!sure) return button.focus();
  try {
    await api('DELETE', `/media/${encodeURIComponent(mediaId)}`);
    window.location.assign(back);
  } catch (error) {
    announce(STATUS, 'error', error.message);
  }
}

// The rendition builder: every change asks the server for the URL (it knows the parameters, and signs them when
// the server requires it), then shows it and loads the preview.
const builder = document.getElementById('rendition-form');
const preview = document.getElementById('rendition-preview');
let pending = null;
let asked = 0;

function builderQuery() {
  const query = new URLSearchParams();
  for (const [name, value] of new FormData(builder)) if (String(value).trim()) query.set(name, String(value));
  return query;
}

async function updateRendition() {
  const query = builderQuery();
  const ticket = ++asked;
  try {
    const { url } = await api(
      'GET',
      `/media/${encodeURIComponent(preview.dataset.mediaId)}/rendition?${query}`,
    );
    if (ticket !== asked) return;
    document.getElementById('rendition-url').value = url;
    document.getElementById('rendition-dimensions').textContent = 'Loading…';
    preview.src = url;
    const search = query.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${search ? `?${search}` : ''}`);
  } catch (error) {
    announce(STATUS, 'error', error.message);
  }
}

function scheduleRendition() {
  clearTimeout(pending);
  pending = setTimeout(updateRendition, 300);
}

function showPreviewSize() {
  const caption = document.getElementById('rendition-dimensions');
  if (caption) caption.textContent = `${preview.naturalWidth} × ${preview.naturalHeight} px`;
}

revealScripted();
document.getElementById('edit-form')?.addEventListener('submit', onSave);
document.getElementById('delete-media')?.addEventListener('click', onDelete);
if (builder && preview) {
  builder.addEventListener('input', scheduleRendition);
  builder.addEventListener('change', scheduleRendition);
  builder.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(pending);
    updateRendition();
  });
  preview.addEventListener('load', showPreviewSize);
  preview.addEventListener('error', () => {
    document.getElementById('rendition-dimensions').textContent = 'This rendition could not be made.';
  });
  if (preview.complete && preview.naturalWidth) showPreviewSize();
}
