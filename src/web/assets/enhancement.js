// One batch: its progress kept live while it runs (the JSON is polled; the regions are fetched again when it
// changed), the webhook deliveries refreshed while any is pending, and the redeliver buttons.
import { announce, api, poll, refreshRegion, revealScripted } from './dashboard-api.js';

const STATUS = 'batch-status';
const id = document.getElementById('batch')?.dataset.enhancementId;
const TERMINAL = new Set(['completed', 'partially_completed', 'failed']);
const LABELS = { completed: 'completed', partially_completed: 'partly completed', failed: 'failed' };

/** What the page shows of a batch, in one string: a change means the regions are out of date. */
const stateOf = (e) =>
  JSON.stringify([e.status, e.completed_items, e.failed_items, e.items.map((i) => i.status)]);

let deliveriesPolling = false;
function pollDeliveries() {
  if (deliveriesPolling) return;
  deliveriesPolling = true;
  let rounds = 0;
  poll(async () => {
    await refreshRegion('deliveries');
    rounds++;
    const more = document.getElementById('deliveries')?.dataset.pending === '1' && rounds < 200;
    if (!more) deliveriesPolling = false;
    return more;
  }, 2000);
}

function pollBatch() {
  let last = null;
  poll(async () => {
    const { enhancement } = await api('GET', `/enhancements/${encodeURIComponent(id)}`);
    const state = stateOf(enhancement);
    if (state !== last) {
      last = state;
      await refreshRegion('batch-summary');
      await refreshRegion('batch-items');
      await refreshRegion('deliveries');
    }
    if (!TERMINAL.has(enhancement.status)) return true;
    const done = enhancement.completed_items + enhancement.failed_items;
    announce(
      STATUS,
      enhancement.status === 'completed' ? 'success' : 'warning',
      `Batch ${LABELS[enhancement.status]}: ${done} of ${enhancement.total_items} done, ${enhancement.failed_items} failed.`,
    );
    pollDeliveries();
    return false;
  }, 1500);
}

async function onRedeliver(button) {
  button.disabled = true;
  try {
    await api('POST', `/webhook-events/${encodeURIComponent(button.dataset.eventId)}/redeliver`);
    await refreshRegion('deliveries');
    announce(STATUS, 'success', 'Redelivery queued: the event is sent again now.');
    pollDeliveries();
  } catch (error) {
    announce(STATUS, 'error', error.message);
    button.disabled = false;
  }
}

revealScripted();
if (id && document.getElementById('batch-summary')?.dataset.terminal === '0') pollBatch();
else if (document.getElementById('deliveries')?.dataset.pending === '1') pollDeliveries();
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button.redeliver') : null;
  if (button) onRedeliver(button);
});
