// The media library: drag-and-drop multi-upload with a progress bar per file, older pages loaded as the grid
// scrolls (this page's own markup, fetched), and selecting many images to delete or enhance.
import {
  ApiError,
  announce,
  api,
  confirmWith,
  fetchPage,
  refreshRegion,
  revealScripted,
} from './dashboard-api.js';

const STATUS = 'media-status';
const grid = document.getElementById('media-grid');
const environment = grid?.dataset.environment ?? 'live';
/** Files uploaded at the same time: enough to keep the line busy, few enough for every bar to move. */
const PARALLEL_UPLOADS = 2;
/** Most images one enhancement batch takes. */
const MAX_BATCH = 20;

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

// ---------------------------------------------------------------------------------------------------------------
// Upload

/** One file's row: its name, a progress bar and what happened. */
function uploadRow(file) {
  const item = document.createElement('li');
  item.className = 'upload-item';
  const name = document.createElement('span');
  name.className = 'upload-name';
  name.textContent = file.name;
  const bar = document.createElement('progress');
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute('aria-label', `Upload of ${file.name}`);
  const state = document.createElement('span');
  state.className = 'upload-state muted';
  state.textContent = 'Waiting';
  item.append(name, bar, state);
  document.getElementById('upload-list')?.append(item);
  return {
    progress(fraction) {
      bar.value = Math.round(fraction * 100);
      state.textContent = `${Math.round(fraction * 100)} %`;
    },
    done(ok, text) {
      bar.value = 100;
      item.dataset.result = ok ? 'uploaded' : 'failed';
      state.className = `upload-state ${ok ? 'upload-ok' : 'upload-failed'}`;
      state.textContent = text;
    },
  };
}

/** POSTs one file with XMLHttpRequest, whose upload events report progress (fetch has none). */
function send(file, fields, row) {
  return new Promise((resolve) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) if (value !== '') form.append(name, value);
    form.append('file', file, file.name);
    const request = new XMLHttpRequest();
    request.open('POST', `/dashboard/api/media?environment=${encodeURIComponent(environment)}`);
    request.setRequestHeader('x-csrf-token', csrfToken());
    request.setRequestHeader('accept', 'application/json');
    request.responseType = 'json';
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) row.progress(event.loaded / event.total);
    });
    request.addEventListener('load', () => {
      const body = request.response;
      if (request.status === 201) {
        row.done(true, 'Uploaded');
        resolve({ ok: true, media: body });
      } else {
        const message = body?.error?.message ?? `Failed (${request.status})`;
        row.done(false, message);
        resolve({ ok: false, message });
      }
    });
    const failed = () => {
      row.done(false, 'The server could not be reached');
      resolve({ ok: false, message: 'network' });
    };
    request.addEventListener('error', failed);
    request.addEventListener('abort', failed);
    request.send(form);
  });
}

function uploadFields() {
  const form = document.getElementById('upload-form');
  const data = new FormData(form);
  return {
    tags: String(data.get('tags') ?? '').trim(),
    namespace: String(data.get('namespace') ?? '').trim(),
    public: data.get('private') ? 'false' : '',
  };
}

async function uploadAll(fileList) {
  const files = [...fileList].filter((f) => f.size > 0 || f.name);
  if (files.length === 0) return;
  document.getElementById('upload-list')?.replaceChildren();
  announce('upload-summary', 'info', `Uploading ${files.length} file${files.length === 1 ? '' : 's'}…`);
  const fields = uploadFields();
  const queue = files.map((file) => ({ file, row: uploadRow(file) }));
  const results = [];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      next.row.progress(0);
      results.push(await send(next.file, fields, next.row));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, files.length) }, worker));
  const uploaded = results.filter((r) => r.ok).length;
  const failed = results.length - uploaded;
  announce(
    'upload-summary',
    failed ? (uploaded ? 'warning' : 'error') : 'success',
    `${uploaded} of ${results.length} uploaded${failed ? `; ${failed} failed (see above)` : ''}.`,
  );
  if (uploaded) {
    await refreshRegion('media-grid');
    document.getElementById('media-empty')?.remove();
    wireGrid();
  }
}

function wireUpload() {
  const zone = document.getElementById('drop-zone');
  const input = document.getElementById('upload-input');
  if (!zone || !input) return;
  input.addEventListener('change', () => {
    uploadAll(input.files);
    input.value = '';
  });
  for (const type of ['dragenter', 'dragover']) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add('dragging');
    });
  }
  for (const type of ['dragleave', 'drop']) {
    zone.addEventListener(type, () => zone.classList.remove('dragging'));
  }
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    uploadAll(event.dataTransfer?.files ?? []);
  });
  // Dropping a file anywhere else would make the browser open it and leave the page.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
}

// ---------------------------------------------------------------------------------------------------------------
// Older pages as the grid scrolls

async function loadMore(link) {
  if (link.dataset.loading) return;
  link.dataset.loading = '1';
  link.setAttribute('aria-busy', 'true');
  const page = await fetchPage(link.href);
  const tiles = page?.getElementById('media-grid')?.children ?? [];
  const current = document.getElementById('media-grid');
  for (const tile of [...tiles]) {
    // A tile already shown (an upload in between shifted the pages) is not shown twice.
    if (!current.querySelector(`[data-id="${tile.dataset.id}"]`))
      current.append(document.importNode(tile, true));
  }
  revealScripted(current);
  const next = page?.getElementById('load-more');
  if (next) {
    link.href = next.getAttribute('href');
    delete link.dataset.loading;
    link.removeAttribute('aria-busy');
  } else {
    link.remove();
  }
  updateSelection();
}

function wireLoadMore() {
  const link = document.getElementById('load-more');
  if (!link) return;
  link.addEventListener('click', (event) => {
    event.preventDefault();
    loadMore(link);
  });
  if (!('IntersectionObserver' in window)) return;
  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting) && document.body.contains(link)) loadMore(link);
    },
    { rootMargin: '800px 0px' },
  );
  observer.observe(link);
}

// ---------------------------------------------------------------------------------------------------------------
// Selection: delete many, enhance many

const selectedTiles = () =>
  [...document.querySelectorAll('#media-grid .tile-select:checked')].map((box) => box.closest('.tile'));

function updateSelection() {
  const selected = selectedTiles();
  const count = document.getElementById('selection-count');
  if (count) count.textContent = selected.length ? `${selected.length} selected` : 'None selected';
  for (const id of ['delete-selected', 'enhance-selected']) {
    const button = document.getElementById(id);
    if (button) button.disabled = selected.length === 0;
  }
  const all = document.getElementById('select-all');
  const boxes = document.querySelectorAll('#media-grid .tile-select');
  if (all) all.checked = boxes.length > 0 && selected.length === boxes.length;
  for (const tile of document.querySelectorAll('#media-grid .tile')) {
    tile.classList.toggle('selected', Boolean(tile.querySelector('.tile-select:checked')));
  }
}

async function deleteSelected() {
  const tiles = selectedTiles();
  if (tiles.length === 0) return;
  const what = tiles.length === 1 ? `“${tiles[0].dataset.name}”` : `${tiles.length} images`;
  if (!(await confirmWith(`Delete ${what}? Their links stop working. This cannot be undone.`, 'Delete')))
    return;
  const ids = tiles.map((t) => t.dataset.id);
  let deleted = 0;
  const failures = [];
  try {
    // The endpoint takes 100 at a time.
    for (let i = 0; i < ids.length; i += 100) {
      const result = await api('POST', '/media/bulk-delete', { environment, ids: ids.slice(i, i + 100) });
      for (const done of result.data) document.querySelector(`#media-grid [data-id="${done.id}"]`)?.remove();
      deleted += result.data.length;
      failures.push(...result.errors);
    }
    announce(
      STATUS,
      failures.length ? 'warning' : 'success',
      `${deleted} deleted.${failures.length ? ` ${failures.length} could not be: ${failures[0].message}` : ''}`,
    );
  } catch (error) {
    announce(STATUS, 'error', error instanceof ApiError ? error.message : String(error));
  }
  updateSelection();
  document.getElementById('library-heading')?.focus();
}

function enhanceSelected() {
  const ids = selectedTiles().map((t) => t.dataset.id);
  if (ids.length > MAX_BATCH) {
    announce(STATUS, 'error', `A batch takes at most ${MAX_BATCH} images; ${ids.length} are selected.`);
    return;
  }
  const env = environment === 'test' ? 'env=test&' : '';
  window.location.assign(`/enhancements?${env}media=${ids.join(',')}#create-heading`);
}

function wireGrid() {
  revealScripted(document.getElementById('media-grid') ?? document);
  updateSelection();
}

/** The namespaces in use, as suggestions for the namespace filter (asked for once the page is shown). */
async function suggestNamespaces() {
  const list = document.getElementById('namespace-options');
  if (!list) return;
  try {
    const { data } = await api('GET', `/media/namespaces?environment=${encodeURIComponent(environment)}`);
    list.replaceChildren(
      ...data.map((namespace) => {
        const option = document.createElement('option');
        option.value = namespace;
        return option;
      }),
    );
  } catch {
    // Suggestions only: typing a namespace works without them.
  }
}

document.getElementById('library-heading')?.setAttribute('tabindex', '-1');
suggestNamespaces();
revealScripted();
wireUpload();
wireLoadMore();
wireGrid();
document.addEventListener('change', (event) => {
  const target = event.target;
  if (!(target instanceof HTMLInputElement)) return;
  if (target.classList.contains('tile-select')) updateSelection();
  if (target.id === 'select-all') {
    for (const box of document.querySelectorAll('#media-grid .tile-select')) box.checked = target.checked;
    updateSelection();
  }
});
document.getElementById('delete-selected')?.addEventListener('click', deleteSelected);
document.getElementById('enhance-selected')?.addEventListener('click', enhanceSelected);
