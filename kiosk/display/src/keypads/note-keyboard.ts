/**
 * On-screen keyboard for the free-text override note, with Vietnamese diacritics typed the Telex
 * way (telex.ts: "Nguyeenx" → "Nguyễn", "hoaf" → "hoà" by the modern tone rule) and a row of
 * quick phrases. QWERTY letters (what Telex typists know), digits, `, . - / : ( )`, a space bar,
 * "Chữ hoa" (one tap: the next letter; two taps: all capitals; a third: off), "Telex: BẬT/TẮT"
 * (off types letters as they are, for codes), "Xoá 1 ký tự" (top right), "Xoá hết" (bottom
 * left, far from Done) and an optional Done key the caller names (bottom right). Fits a dialog
 * at 1024×600. Styles: static/keypads.css (`.kp-note`).
 *
 * API:
 *   const keyboard = createNoteKeyboard({
 *     language: 'vi',               // words of the keys and the default phrases
 *     label: 'Ghi chú lý do (bắt buộc)',  // optional: shown on the note's frame; names it
 *     maxLength: 500,               // default 500; more is refused with a message
 *     phrases: ['…'],               // optional: default NOTE_PHRASES[language]; [] hides them
 *     compact: true,                // optional: a one-line note, so the phrase row fits a
 *                                   // dialog whose title row has buttons (override, 1024×600)
 *     doneLabel: 'Xong',            // optional: adds a Done key calling onDone
 *     onDone: (text) => { … },
 *     onInput: (text) => { … },     // optional: after every change
 *   });
 *   keyboard.value                  // the note (NFC), e.g. "Đã kiểm tra giấy tờ"
 *   keyboard.setValue('…'); keyboard.clear(); keyboard.focus();
 *   keyboard.setMessage('…')        // a line under the note (role=alert); null hides it
 *   keyboard.setLanguage('en')      // relabels keys; swaps the default phrases
 *   keyboard.setDoneLabel('Next')   // renames the Done key (when there is one)
 *   keyboard.setLabel('…')          // the visible label (e.g. after a language change)
 *
 * A quick phrase is appended (after a space when the note does not end in one), its first
 * letter lower-cased mid-sentence (phraseAfter in keypad-text.ts). The message sits on the
 * note's bottom edge, so showing one moves no key. With focus in
 * the keyboard (its root has tabindex 0), physical letters go through Telex as well; Backspace
 * and Enter (Done) work. Letter keys' accessible names are the letters they type (with Chữ hoa
 * on, "N"); every button is type="button".
 */
import type { Language } from '@checkpoint-lane/shared';
import { actionKey, characterKey, isShortcut, labelKey, make } from './keypad-dom.js';
import { NOTE_PHRASES, keypadText, phraseAfter } from './keypad-text.js';
import { telexFrom, telexKey, type TelexState } from './telex.js';

/** How a note keyboard is set up; see the file's comment. */
export interface NoteKeyboardOptions {
  readonly language: Language;
  readonly label?: string;
  readonly maxLength?: number;
  readonly phrases?: readonly string[];
  readonly compact?: boolean;
  readonly doneLabel?: string;
  readonly onDone?: (text: string) => void;
  readonly onInput?: (text: string) => void;
}

/** A mounted note keyboard; see the file's comment. */
export interface NoteKeyboard {
  readonly element: HTMLElement;
  readonly value: string;
  setValue(text: string): void;
  clear(): void;
  focus(): void;
  setMessage(message: string | null): void;
  setLanguage(language: Language): void;
  setDoneLabel(label: string): void;
  setLabel(label: string): void;
}

const ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'] as const;
const PUNCTUATION = [',', '.', '-', '/', ':', '(', ')'] as const;
type Shift = 'off' | 'once' | 'lock';

/** Builds a note keyboard; append `element` where it belongs. */
export function createNoteKeyboard(options: NoteKeyboardOptions): NoteKeyboard {
  const max = options.maxLength ?? 500;
  let language = options.language;
  let state: TelexState = telexFrom('');
  let shift: Shift = 'off';
  let telex = true;

  const root = make('div', options.compact === true ? 'kp kp-note kp-compact' : 'kp kp-note');
  root.tabIndex = 0;
  root.setAttribute('role', 'group');
  const box = make('div', 'kp-note-box');
  const label = make('div', 'kp-note-label');
  const shown = make('output', 'kp-note-text');
  shown.setAttribute('aria-live', 'polite');
  const message = make('p', 'kp-message');
  message.setAttribute('role', 'alert');
  box.append(label, shown, message);
  function setLabel(text: string | undefined): void {
    label.textContent = text ?? '';
    label.hidden = text === undefined || text === '';
    if (text === undefined) return;
    shown.setAttribute('aria-label', text);
    root.setAttribute('aria-label', text);
  }
  setLabel(options.label);

  const keys = make('div', 'kp-keys');
  const letterKeys: HTMLButtonElement[] = [];
  const makeRow = (characters: string): HTMLElement => {
    const line = make('div', 'kp-row');
    for (const c of characters) {
      // The key knows its lower-case letter; Chữ hoa decides the case when it is pressed.
      const key = characterKey(c, () => {
        press(c);
      });
      if (/[a-z]/.test(c)) letterKeys.push(key);
      line.append(key);
    }
    return line;
  };
  const [digitRow, topRow, homeRow, bottomRow] = [
    makeRow(ROWS[0]),
    makeRow(ROWS[1]),
    makeRow(ROWS[2]),
    makeRow(ROWS[3]),
  ];
  const rows = [digitRow, topRow, homeRow, bottomRow];
  const back = actionKey('back', () => {
    edit(telexKey(state, 'Backspace'));
  });
  const clearKey = actionKey('clear', () => {
    edit(telexFrom(''));
  });
  const shiftKey = actionKey('shift', () => {
    shift = shift === 'off' ? 'once' : shift === 'once' ? 'lock' : 'off';
    renderShift();
  });
  const telexToggle = actionKey('telex', () => {
    telex = !telex;
    renderTelex();
  });
  const space = actionKey('space', () => {
    press(' ');
  });
  const punctuation = PUNCTUATION.map((c) =>
    characterKey(c, () => {
      press(c);
    }),
  );
  let doneLabel = options.doneLabel ?? '';
  const done = options.doneLabel === undefined ? null : actionKey('done', finish);
  done?.classList.add('kp-enter');
  // Rows on a 12-column grid: 1–0 ⌫ / q–p , . / a–l - / : / ⇧ z–m ( ) / Xoá hết Telex space
  // Done. "Xoá hết" sits bottom left, away from both "Xoá 1 ký tự" and Done.
  for (const wide of [back, clearKey]) wide.classList.add('kp-span-2');
  for (const wide of [shiftKey, telexToggle]) wide.classList.add('kp-span-3');
  space.classList.add(done === null ? 'kp-span-7' : 'kp-span-4');
  done?.classList.add('kp-span-3');
  digitRow.append(back);
  topRow.append(...punctuation.slice(0, 2));
  homeRow.append(...punctuation.slice(2, 5));
  bottomRow.prepend(shiftKey);
  bottomRow.append(...punctuation.slice(5));
  const spaceRow = make('div', 'kp-row');
  spaceRow.append(clearKey, telexToggle, space, ...(done === null ? [] : [done]));
  keys.append(...rows, spaceRow);

  const phraseList = make('div', 'kp-phrases');
  phraseList.setAttribute('role', 'group');
  root.append(box, phraseList, keys);

  function render(): void {
    shown.textContent = state.text;
    shown.dataset['value'] = state.text;
    // Keep the end of a long note, where typing happens, in view.
    shown.scrollTop = shown.scrollHeight;
  }
  function edit(next: TelexState): void {
    if (Array.from(next.text).length > max) {
      message.textContent = keypadText('noteFull', language, { max });
      return;
    }
    state = next;
    message.textContent = '';
    render();
    options.onInput?.(state.text);
  }
  function press(character: string): void {
    const upper = shift !== 'off' && /^[a-z]$/.test(character);
    const key = upper ? character.toUpperCase() : character;
    edit(telex ? telexKey(state, key) : { text: state.text + key, literal: [], bareW: false });
    if (shift === 'once' && upper) {
      shift = 'off';
      renderShift();
    }
  }
  function finish(): void {
    options.onDone?.(state.text);
  }
  function renderShift(): void {
    shiftKey.setAttribute('aria-pressed', String(shift !== 'off'));
    shiftKey.dataset['shift'] = shift;
    for (const key of letterKeys) {
      const lower = (key.dataset['key'] ?? '').toLowerCase();
      const c = shift === 'off' ? lower : lower.toUpperCase();
      key.dataset['key'] = c;
      key.textContent = c;
    }
  }
  function renderPhrases(): void {
    const phrases = options.phrases ?? NOTE_PHRASES[language];
    phraseList.hidden = phrases.length === 0;
    phraseList.setAttribute('aria-label', keypadText('phrases', language));
    phraseList.replaceChildren(
      ...phrases.map((phrase) => {
        const key = actionKey('phrase', () => {
          const glue = state.text === '' || state.text.endsWith(' ') ? '' : ' ';
          edit(telexFrom(state.text + glue + phraseAfter(state.text, phrase)));
        });
        labelKey(key, phrase);
        // A short phrase ("Xe cấp cứu") keeps one line; the long ones share what is left.
        if (Array.from(phrase).length <= 12) key.classList.add('kp-phrase-short');
        return key;
      }),
    );
  }
  function renderTelex(): void {
    telexToggle.setAttribute('aria-pressed', String(telex));
    labelKey(telexToggle, keypadText(telex ? 'telexOn' : 'telexOff', language), 'ă');
  }
  function labelAll(): void {
    labelKey(back, keypadText('deleteOne', language), '⌫');
    labelKey(clearKey, keypadText('clearAll', language), '✕');
    labelKey(shiftKey, keypadText('shift', language), '⇧');
    renderTelex();
    labelKey(space, keypadText('space', language), '␣');
    if (done !== null) labelKey(done, doneLabel, '✓');
    renderPhrases();
  }

  root.addEventListener('keydown', (event) => {
    if (isShortcut(event)) return;
    if (event.key === 'Backspace') edit(telexKey(state, 'Backspace'));
    else if (event.key === 'Enter') finish();
    else if (event.key.length === 1) {
      edit(telex ? telexKey(state, event.key) : { text: state.text + event.key, literal: [], bareW: false });
    } else return;
    event.preventDefault();
  });

  labelAll();
  renderShift();
  render();
  return {
    element: root,
    get value() {
      return state.text;
    },
    setValue: (text) => {
      edit(telexFrom(text.slice(0, max)));
    },
    clear: () => {
      edit(telexFrom(''));
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
    setDoneLabel: (label) => {
      doneLabel = label;
      if (done !== null) labelKey(done, label, '✓');
    },
    setLabel,
  };
}
