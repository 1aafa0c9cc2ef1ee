// The operator pages (/admin): every change is a plain POST form that works without JavaScript. This module only
// adds what a person expects on top — a confirmation before a destructive change (forms with data-confirm), focus
// on a key shown once — and the copy buttons.
import './copy.js';

let dialog;

/** The page's one confirmation dialog, built on first use (no inline markup or script needed). */
function confirmDialog() {
  if (dialog) return dialog;
  dialog = document.createElement('dialog');
  dialog.setAttribute('aria-labelledby', 'confirm-title');
  dialog.setAttribute('aria-describedby', 'confirm-text');
  const form = document.createElement('form');
  form.method = 'dialog';
  form.className = 'stack';
  const title = Object.assign(document.createElement('h2'), {
    id: 'confirm-title',
    className: 'dialog-title',
    textContent: 'Are you sure?',
  });
  const text = Object.assign(document.createElement('p'), { id: 'confirm-text' });
  const buttons = Object.assign(document.createElement('div'), { className: 'dialog-buttons' });
  const cancel = Object.assign(document.createElement('button'), {
    type: 'submit',
    value: 'cancel',
    textContent: 'Cancel',
  });
  const confirm = Object.assign(document.createElement('button'), {
    type: 'submit',
    value: 'confirm',
    className: 'danger',
    id: 'confirm-button',
  });
  buttons.append(cancel, confirm);
  form.append(title, text, buttons);
  dialog.append(form);
  document.body.append(dialog);
  return dialog;
}

/** Asks the form's question; resolves true when the person confirms. */
function ask(question, actionLabel) {
  const box = confirmDialog();
  box.querySelector('#confirm-text').textContent = question;
  box.querySelector('#confirm-button').textContent = actionLabel;
  return new Promise((resolve) => {
    box.addEventListener('close', () => resolve(box.returnValue === 'confirm'), { once: true });
    box.returnValue = '';
    box.showModal();
  });
}

document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  event.preventDefault();
  const button = form.querySelector('button[type="submit"]');
  const label = button?.firstChild?.textContent?.trim() || 'Confirm';
  if (await ask(form.dataset.confirm, label)) form.submit();
  else button?.focus();
});

// A key minted a moment ago is shown once: take the reader there.
document.getElementById('minted')?.focus();
