// Tiny DOM helpers of the officer screen.

/** The element with this id (the page is static: a missing one is a bug). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the element type
export function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing`);
  return found as T;
}

/** A new element with a class and optional text. */
export function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className !== '') node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A button that never submits a form. */
export function button(className: string, text: string, onClick: () => void): HTMLButtonElement {
  const b = make('button', className, text);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

let toastTimer: number | undefined;

/** How long a toast stays: long enough to read, gone before the next scan needs the eye. */
const TOAST_MS = 2500;

/** A short message over the top of the main panel (never over the strip of recent scans). */
export function toast(text: string, tone: 'info' | 'error' = 'info'): void {
  const box = el('toast');
  box.textContent = text;
  box.dataset['tone'] = tone;
  box.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(hideToast, TOAST_MS);
}

/** Takes the toast away at once (a dialog opening: it is about something else). */
export function hideToast(): void {
  window.clearTimeout(toastTimer);
  el('toast').hidden = true;
}
