/**
 * Full keypad for manual entry of an ID, a plate or a passport: 0–9, A–Z, `-` and `.`, "Xoá 1
 * ký tự", "Xoá hết" and an Enter key the caller names ("Kiểm tra"). 41 keys in four rows
 * (1–0 - . / A–M / N–Z / clear all, the caller's extra keys, delete one, a wider gap, Enter:
 * "Xoá hết" far left, Enter far right, so a cancel key is never Enter's neighbour) that fit a
 * dialog at 1024×600 with keys of at least 64 px. The typed text is shown IN FULL (it is the
 * officer's own input, so a typo can be seen), large and monospace, grouped for reading
 * (`079 3 01 004567`); the value stays the raw text. Empty, it shows the caret at the left and
 * an example ("VD: 079301004567 · 30G-123.45 · C1234567"). Styles: static/keypads.css (`.kp-code`).
 *
 * API:
 *   const pad = createCodeKeypad({
 *     language: 'vi',                    // words of the action keys
 *     enterLabel: 'Kiểm tra',            // the Enter key's visible text and accessible name
 *     label: 'Số định danh / biển số / hộ chiếu',  // optional: names the typed-text display
 *     maxLength: 20,                     // default MAX_MANUAL_ENTRY_LENGTH; more is ignored
 *     placeholder: 'VD: …',              // optional: the example shown while empty
 *     extraKeys: [cancelButton],         // optional: last row, after "Xoá hết" (not by Enter)
 *     onEnter: (text) => { … },          // Enter (tapped, or pressed with focus in the pad)
 *     onInput: (text) => { … },          // optional: after every change
 *   });
 *   pad.value              // raw text typed, e.g. "30G-123.45"
 *   pad.setValue('…'); pad.clear(); pad.focus();
 *   pad.setMessage('…', 'error' | 'info')  // a line under the text (role=alert); null hides it
 *   pad.setLanguage('en'); pad.setEnterLabel('…'); pad.setLabel('…');
 *
 * Validation is the caller's: on Enter call checkManualEntry(text, Date.now()) from
 * @checkpoint-lane/shared; refuse with pad.setMessage(describeManualEntryProblem(check.error,
 * language), 'error'), or submit check.value.text. Character keys' accessible names are their
 * characters ("G", "0", "-", "."). With focus in the pad (its root has tabindex 0), physical
 * letters, digits, - . Backspace, Delete (clear all) and Enter work too. Every button is
 * type="button"; the Enter key IS the dialog's check button.
 */
import { groupPersonalId, MAX_MANUAL_ENTRY_LENGTH, type Language } from '@checkpoint-lane/shared';
import { actionKey, characterKey, isShortcut, labelKey, make } from './keypad-dom.js';
import { keypadText } from './keypad-text.js';

/** How a code keypad is set up; see the file's comment. */
export interface CodeKeypadOptions {
  readonly language: Language;
  readonly enterLabel: string;
  readonly label?: string;
  readonly maxLength?: number;
  readonly placeholder?: string;
  readonly extraKeys?: readonly HTMLElement[];
  readonly onEnter: (text: string) => void;
  readonly onInput?: (text: string) => void;
}

/** A mounted code keypad; see the file's comment. */
export interface CodeKeypad {
  readonly element: HTMLElement;
  readonly value: string;
  setValue(text: string): void;
  clear(): void;
  focus(): void;
  setMessage(message: string | null, tone?: 'error' | 'info'): void;
  setLanguage(language: Language): void;
  setEnterLabel(label: string): void;
  setLabel(label: string): void;
}

/** Characters on the keypad, in the order of its rows. */
export const CODE_KEYPAD_CHARACTERS = Array.from('1234567890-.ABCDEFGHIJKLMNOPQRSTUVWXYZ');

/**
 * How the typed text is shown: digits alone are grouped like a personal ID as they are typed
 * (`079 3 01 004567`); anything with letters is shown as typed.
 */
export function groupTypedCode(text: string): string {
  return /^\d+$/.test(text) && text.length <= 12 ? groupPersonalId(text) : text;
}

/** Builds a code keypad; append `element` where it belongs. */
export function createCodeKeypad(options: CodeKeypadOptions): CodeKeypad {
  const max = options.maxLength ?? MAX_MANUAL_ENTRY_LENGTH;
  let language = options.language;
  let text = '';

  const root = make('div', 'kp kp-code');
  root.tabIndex = 0;
  root.setAttribute('role', 'group');
  const shown = make('output', 'kp-typed');
  shown.setAttribute('aria-live', 'polite');
  if (options.label !== undefined) {
    shown.setAttribute('aria-label', options.label);
    root.setAttribute('aria-label', options.label);
  }
  const message = make('p', 'kp-message');
  message.setAttribute('role', 'alert');

  const keys = make('div', 'kp-keys');
  const characters = CODE_KEYPAD_CHARACTERS.map((c) =>
    characterKey(c, () => {
      type(c);
    }),
  );
  const back = actionKey('back', () => {
    edit(text.slice(0, -1));
  });
  const clearKey = actionKey('clear', () => {
    edit('');
  });
  const enter = actionKey('enter', () => {
    options.onEnter(text);
  });
  enter.classList.add('kp-enter');
  const extras = make('div', 'kp-extra');
  extras.append(...(options.extraKeys ?? []));
  const row = (...children: HTMLElement[]): HTMLElement => {
    const line = make('div', 'kp-row');
    line.append(...children);
    return line;
  };
  keys.append(
    row(...characters.slice(0, 12)),
    row(...characters.slice(12, 25)),
    row(...characters.slice(25)),
    row(clearKey, extras, back, enter),
  );
  root.append(shown, message, keys);

  function render(): void {
    // Empty, the caret and the example are drawn by CSS (::before, ::after from data-placeholder).
    shown.textContent = text === '' ? '' : groupTypedCode(text);
    shown.dataset['value'] = text;
    shown.classList.toggle('kp-empty', text === '');
  }
  function edit(next: string): void {
    text = next.slice(0, max);
    message.textContent = '';
    message.className = 'kp-message';
    render();
    options.onInput?.(text);
  }
  function type(character: string): void {
    if (text.length < max) edit(text + character);
  }
  function labelAll(): void {
    labelKey(back, keypadText('deleteOne', language), '⌫');
    labelKey(clearKey, keypadText('clearAll', language), '✕');
    shown.dataset['placeholder'] = options.placeholder ?? keypadText('codeExample', language);
  }

  root.addEventListener('keydown', (event) => {
    if (isShortcut(event)) return;
    const upper = event.key.length === 1 ? event.key.toUpperCase() : '';
    if (upper !== '' && CODE_KEYPAD_CHARACTERS.includes(upper)) type(upper);
    else if (event.key === 'Backspace') edit(text.slice(0, -1));
    else if (event.key === 'Delete') edit('');
    else if (event.key === 'Enter') options.onEnter(text);
    else return;
    event.preventDefault();
  });

  labelKey(enter, options.enterLabel, '↵');
  labelAll();
  render();
  return {
    element: root,
    get value() {
      return text;
    },
    setValue: (next) => {
      edit(next.toUpperCase());
    },
    clear: () => {
      edit('');
    },
    focus: () => {
      root.focus();
    },
    setMessage: (next, tone = 'error') => {
      message.textContent = next ?? '';
      message.className = `kp-message kp-${tone}`;
    },
    setLanguage: (next) => {
      language = next;
      labelAll();
    },
    setEnterLabel: (label) => {
      labelKey(enter, label, '↵');
    },
    setLabel: (label) => {
      shown.setAttribute('aria-label', label);
      root.setAttribute('aria-label', label);
    },
  };
}
