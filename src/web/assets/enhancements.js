// Enhancements: the new-batch form (a key, images from URLs or the media library, preset, options) and the list of
// batches, refreshed while any is running.
import {
  ApiError,
  announce,
  api,
  poll,
  refreshRegion,
  revealScripted,
  showFieldErrors,
} from './dashboard-api.js';

const STATUS = 'enhance-status';
const MAX_BATCH = 20;
const PICKER_PAGE = 30;

const form = document.getElementById('create-form');
const keySelect = document.getElementById('enhance-key');
/** Library images chosen, by id (kept across searches and pages). */
const chosen = new Set((form?.dataset.preselected ?? '').split(',').filter(Boolean));
/**
 * One idempotency key per batch asked for: a retried or double-clicked submit of the same form replays the batch
 * already made instead of making a second; any change to the form asks for a new batch, so gets a new key.
 */
let attempt = { body: '', key: '' };

const keyEnvironment = () => keySelect?.selectedOptions[0]?.dataset.environment ?? 'test';
const source = () => new FormData(form).get('source');
const urls = () =>
  String(document.getElementById('enhance-urls')?.value ?? '')
    .split('\n')
    .map((u) => u.trim())
    .filter(Boolean);

function imageCount() {
  return source() === 'library' ? chosen.size : urls().length;
}

function updateCost() {
  const cost = document.getElementById('enhance-cost');
  if (!cost) return;
  const count = imageCount();
  const images = `${count} image${count === 1 ? '' : 's'}`;
  if (keyEnvironment() === 'test') {
    cost.textContent = `${images}: free, in the sandbox (test key).`;
    return;
  }
  const perImage = Number(form.dataset.creditsPerImage);
  const available = Number(form.dataset.paidAvailable);
  cost.textContent = `${images} × ${perImage} credit${perImage === 1 ? '' : 's'} = ${count * perImage} credits reserved; ${available} paid credits available.`;
}

// ---------------------------------------------------------------------------------------------------------------
// The media library picker (the key's environment)

let pickerCursor = null;
let pickerAsked = 0;

function pickerTile(media) {
  const item = document.createElement('li');
  const label = document.createElement('label');
  label.className = 'picker-choice';
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.value = media.id;
  box.checked = chosen.has(media.id);
  const image = document.createElement('img');
  image.src = media.sizes.s;
  image.alt = '';
  image.loading = 'lazy';
  image.width = 96;
  image.height = 96;
  const name = document.createElement('span');
  name.textContent = media.name;
  label.append(box, image, name);
  item.append(label);
  return item;
}

function updatePickerCount() {
  const count = document.getElementById('picker-count');
  if (count) count.textContent = chosen.size ? `${chosen.size} chosen` : 'None chosen';
  updateCost();
}

async function loadPicker(reset) {
  const grid = document.getElementById('picker-grid');
  const more = document.getElementById('picker-more');
  if (!grid || !more) return;
  const ticket = ++pickerAsked;
  if (reset) pickerCursor = null;
  const query = new URLSearchParams({ environment: keyEnvironment(), limit: String(PICKER_PAGE) });
  const name = String(document.getElementById('picker-search')?.value ?? '').trim();
  if (name) query.set('name', name);
  if (pickerCursor) query.set('cursor', pickerCursor);
  try {
    const page = await api('GET', `/media?${query}`);
    if (ticket !== pickerAsked) return;
    if (reset) grid.replaceChildren();
    grid.append(...page.data.map(pickerTile));
    if (reset && page.data.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'muted';
      empty.textContent = `No images in the ${keyEnvironment() === 'test' ? 'test' : 'live'} library${name ? ' with that name' : ''}.`;
      grid.append(empty);
    }
    pickerCursor = page.next_cursor;
    more.hidden = !pickerCursor;
  } catch (error) {
    announce(STATUS, 'error', error.message);
  }
}

function showSource() {
  const library = source() === 'library';
  document.getElementById('urls-field').hidden = library;
  document.getElementById('library-field').hidden = !library;
  if (library && document.getElementById('picker-grid')?.childElementCount === 0) loadPicker(true);
  updateCost();
}

// ---------------------------------------------------------------------------------------------------------------
// Submit

/** 128 random bits (getRandomValues works on plain-HTTP origins too, where randomUUID does not exist). */
const newIdempotencyKey = () =>
  `dash-${[...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('')}`;

function bodyOf() {
  const data = new FormData(form);
  const body = {
    key_id: String(data.get('key_id')),
    preset: String(data.get('preset')),
    preservation_level: String(data.get('preservation_level')),
  };
  if (source() === 'library') body.media_ids = [...chosen];
  else body.urls = urls();
  const instructions = String(data.get('instructions') ?? '').trim();
  if (instructions) body.instructions = instructions;
  const webhook = String(data.get('webhook_url') ?? '').trim();
  if (webhook) body.webhook_url = webhook;
  return body;
}

async function onCreate(event) {
  event.preventDefault();
  const body = bodyOf();
  const count = body.media_ids?.length ?? body.urls.length;
  if (count === 0 || count > MAX_BATCH) {
    announce(
      STATUS,
      'error',
      count === 0
        ? 'Add at least one image.'
        : `A batch takes at most ${MAX_BATCH} images; this one has ${count}.`,
    );
    return;
  }
  const fingerprint = JSON.stringify(body);
  if (attempt.body !== fingerprint) attempt = { body: fingerprint, key: newIdempotencyKey() };
  const button = document.getElementById('create-button');
  button.disabled = true;
  showFieldErrors('create-errors', null);
  announce(STATUS, 'info', 'Starting the batch…');
  try {
    const created = await api('POST', '/enhancements', { ...body, idempotency_key: attempt.key });
    announce(STATUS, 'success', 'Batch started.');
    window.location.assign(`/enhancements/${created.enhancement.id}`);
  } catch (error) {
    announce(STATUS, 'error', error.message);
    if (error instanceof ApiError) showFieldErrors('create-errors', error);
    button.disabled = false;
  }
}

function wireForm() {
  if (!form) return;
  form.addEventListener('submit', onCreate);
  form.addEventListener('change', (event) => {
    const target = event.target;
    if (target.name === 'source') showSource();
    if (target === keySelect) {
      chosen.clear();
      updatePickerCount();
      if (source() === 'library') loadPicker(true);
    }
    if (target instanceof HTMLInputElement && target.closest('#picker-grid')) {
      if (target.checked) chosen.add(target.value);
      else chosen.delete(target.value);
      updatePickerCount();
    }
    updateCost();
  });
  document.getElementById('enhance-urls')?.addEventListener('input', updateCost);
  let searching = null;
  document.getElementById('picker-search')?.addEventListener('input', () => {
    clearTimeout(searching);
    searching = setTimeout(() => loadPicker(true), 300);
  });
  document.getElementById('picker-more')?.addEventListener('click', () => loadPicker(false));
  showSource();
  updatePickerCount();
}

revealScripted();
wireForm();
// Batches that are still running: refresh the list until none is.
if (document.getElementById('enhancements-table')?.dataset.running === '1') {
  poll(async () => {
    await refreshRegion('enhancements-table');
    return document.getElementById('enhancements-table')?.dataset.running === '1';
  }, 3000);
}
