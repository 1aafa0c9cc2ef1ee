// Copy buttons: <button class="copy-button" data-copy-target="<id>"> copies the text of the element with that id
// (an input's value, or a <pre>'s text). Without JavaScript the text stays selectable.

const feedback = (button, text) => {
  const original = button.dataset.label ?? button.textContent;
  button.dataset.label = original;
  button.textContent = text;
  button.toggleAttribute('data-copied', text === 'Copied');
  setTimeout(() => {
    button.textContent = original;
    button.removeAttribute('data-copied');
  }, 2000);
};

const textOf = (element) =>
  element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement
    ? element.value
    : element.textContent;

async function copy(button) {
  const target = document.getElementById(button.dataset.copyTarget ?? '');
  if (!target) return;
  try {
    await navigator.clipboard.writeText(textOf(target) ?? '');
    feedback(button, 'Copied');
  } catch {
    // No clipboard access (an insecure origin, or denied): select the text so the person can copy it themselves.
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) target.select();
    else window.getSelection()?.selectAllChildren(target);
    feedback(button, 'Press Ctrl+C');
  }
}

document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy-target]') : null;
  if (button) copy(button);
});
