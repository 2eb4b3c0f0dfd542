/**
 * PIN pad for the officer screen's dialogs: big digit keys, dots for what is typed (never the
 * digits), "Xoá 1 số" and "Xoá hết", and an Enter key the caller names ("Xác nhận").
 * Styles: static/keypads.css (`.kp-pin`).
 *
 * API:
 *   const pad = createPinPad({
 *     language: 'vi',                 // words of the pad's own keys
 *     confirmLabel: 'Xác nhận',       // the Enter key's visible text and accessible name
 *     label: 'Mã PIN cán bộ',         // optional: shown above the dots; names the group
 *     minLength: 4, maxLength: 8,     // defaults 4 and 8; further digits are ignored
 *     layout: 'grid',                 // 'grid' (phone-like 3 × 4 + actions) or 'wide' (2 rows)
 *     onConfirm: (pin) => { … },      // Enter with minLength..maxLength digits
 *     onInput: (count) => { … },      // optional: after every change, the digit COUNT only
 *   });
 *   dialog.append(pad.element);
 *   pad.value            // the digits typed (read it on confirm; never log or show it)
 *   pad.complete         // minLength <= value.length <= maxLength
 *   pad.clear(); pad.focus();
 *   pad.setMessage('Sai mã PIN')  // a line under the dots (role=alert); null hides it
 *   pad.setLanguage('en'); pad.setLabel('…'); pad.setConfirmLabel('…');
 *
 * Enter with too few digits does not call onConfirm; it says how long a PIN is. The pad's root
 * is focusable (tabindex 0): with focus anywhere in it, physical keys 0–9, Backspace, Delete
 * (clear all) and Enter work too. Every button is type="button": the pad never submits a form
 * on its own (call form.requestSubmit() from onConfirm if that is what you want). The Enter
 * key IS the dialog's confirm button: do not add a second button with the same name.
 */
import type { Language } from '@checkpoint-lane/shared';
import { actionKey, characterKey, isShortcut, labelKey, make } from './keypad-dom.js';
import { keypadText } from './keypad-text.js';

/** How a PIN pad is set up; see the file's comment. */
export interface PinPadOptions {
  readonly language: Language;
  readonly confirmLabel: string;
  readonly label?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly layout?: 'grid' | 'wide';
  readonly onConfirm: (pin: string) => void;
  readonly onInput?: (count: number) => void;
}

/** A mounted PIN pad; see the file's comment. */
export interface PinPad {
  readonly element: HTMLElement;
  readonly value: string;
  readonly complete: boolean;
  clear(): void;
  focus(): void;
  setMessage(message: string | null): void;
  setLanguage(language: Language): void;
  setLabel(label: string): void;
  setConfirmLabel(label: string): void;
}

/** Builds a PIN pad; append `element` where it belongs. */
export function createPinPad(options: PinPadOptions): PinPad {
  const min = options.minLength ?? 4;
  const max = Math.max(min, options.maxLength ?? 8);
  let language = options.language;
  let digits = '';

  const root = make('div', `kp kp-pin kp-pin-${options.layout ?? 'grid'}`);
  root.tabIndex = 0;
  root.setAttribute('role', 'group');
  const head = make('div', 'kp-pin-head');
  const label = make('div', 'kp-label', options.label ?? '');
  label.id = `kp-pin-label-${Math.random().toString(36).slice(2)}`;
  root.setAttribute('aria-labelledby', label.id);
  label.hidden = options.label === undefined;
  const dots = make('div', 'kp-dots');
  dots.setAttribute('aria-hidden', 'true');
  const count = make('span', 'kp-sr');
  count.setAttribute('role', 'status');
  const message = make('p', 'kp-message');
  message.setAttribute('role', 'alert');
  head.append(label, dots, count);

  const keys = make('div', 'kp-keys');
  const digitKeys = Array.from('1234567890').map((d) =>
    characterKey(d, () => {
      type(d);
    }),
  );
  const back = actionKey('back', () => {
    edit(digits.slice(0, -1));
  });
  const clearKey = actionKey('clear', () => {
    edit('');
  });
  const enter = actionKey('enter', confirm);
  enter.classList.add('kp-enter');
  keys.append(...digitKeys, back, clearKey, enter);
  root.append(head, keys, message);

  function render(): void {
    // Filled dots for digits typed, hollow ones up to the shortest PIN: the length, never the digits.
    const hollow = Math.max(0, min - digits.length);
    dots.textContent = '●'.repeat(digits.length) + '○'.repeat(hollow);
    dots.dataset['count'] = String(digits.length);
    count.textContent =
      digits.length === 0
        ? keypadText('nothingTyped', language)
        : keypadText('pinCount', language, { n: digits.length });
  }
  function edit(next: string): void {
    digits = next;
    message.textContent = '';
    render();
    options.onInput?.(digits.length);
  }
  function type(digit: string): void {
    if (digits.length < max) edit(digits + digit);
  }
  function confirm(): void {
    if (digits.length < min || digits.length > max) {
      message.textContent = keypadText('pinLength', language, { min, max });
      return;
    }
    options.onConfirm(digits);
  }
  function labelAll(): void {
    labelKey(back, keypadText('deleteDigit', language), '⌫');
    labelKey(clearKey, keypadText('clearAll', language), '✕');
    render();
  }

  root.addEventListener('keydown', (event) => {
    if (isShortcut(event)) return;
    if (/^[0-9]$/.test(event.key)) type(event.key);
    else if (event.key === 'Backspace') edit(digits.slice(0, -1));
    else if (event.key === 'Delete') edit('');
    else if (event.key === 'Enter') confirm();
    else return;
    // Also keeps Enter on a focused key from pressing that key, and Backspace from navigating.
    event.preventDefault();
  });

  labelKey(enter, options.confirmLabel, '✓');
  labelAll();
  return {
    element: root,
    get value() {
      return digits;
    },
    get complete() {
      return digits.length >= min && digits.length <= max;
    },
    clear: () => {
      edit('');
    },
    focus: () => {
      root.focus();
    },
    setMessage: (text) => {
      message.textContent = text ?? '';
    },
    setLanguage: (next) => {
      language = next;
      labelAll();
    },
    setLabel: (text) => {
      label.textContent = text;
      label.hidden = false;
    },
    setConfirmLabel: (text) => {
      labelKey(enter, text, '✓');
    },
  };
}
