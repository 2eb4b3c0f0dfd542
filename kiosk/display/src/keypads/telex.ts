/**
 * Telex, the way Vietnamese typists write diacritics with plain letters, as a pure function of
 * the text so far and one key. Used by the note keyboard (note-keyboard.ts).
 *
 * API:
 * - `EMPTY_TELEX` / `telexFrom(text)`: a state holding `text` (NFC) and what the current word
 *   must type literally (after an undo).
 * - `telexKey(state, key)`: the state after one key: a single character, or 'Backspace'.
 * - `telexType(keys, from?)`: the text after typing each character of `keys` (tests, phrases).
 *
 * Rules (Unikey's Telex):
 * - aa → â, ee → ê, oo → ô, aw → ă, ow → ơ, uw → ư, uow → ươ, uaw → ưa, w with no vowel → ư,
 *   dd → đ (at the start of a word); typing the key again undoes it (aaa → aa, ww → w, ddd → dd).
 * - Tone keys s (sắc) f (huyền) r (hỏi) x (ngã) j (nặng) put the tone on the syllable, z removes
 *   it, the same tone key twice removes the tone and types the letter (ass → as).
 * - Tone placement is the MODERN rule ("kiểu mới", Bộ Giáo dục 1984, Unikey's "oà, uý"):
 *   a vowel with a hat or horn takes the tone (ươ → ơ); else with a final consonant the last
 *   vowel; else oa, oe, uy take it on the second vowel (hoà, hoè, thuý); else three vowels take
 *   it on the middle one (khoái) and two on the first (mùa, gì). qu and gi count as consonants
 *   (quá, già). The tone moves when the word grows (hoá + n → hoán).
 * - Keys keep their case (NGUYEENX → NGUYỄN; Aan → Ân). A word that cannot be Vietnamese (a
 *   foreign initial or final, as in PCR or Covid) is typed as is.
 */

/** The text typed so far and the modifier keys the current word now types literally. */
export interface TelexState {
  readonly text: string;
  /** Keys whose effect was undone in the current word: they now type their letter. */
  readonly literal: readonly string[];
  /** The word ends in an ư that a w with no vowel made (a second w turns it back into w). */
  readonly bareW: boolean;
}

/** Nothing typed yet. */
export const EMPTY_TELEX: TelexState = { text: '', literal: [], bareW: false };

/** A state continuing from existing text (a quick phrase, text set by the caller). */
export function telexFrom(text: string): TelexState {
  return { text: text.normalize('NFC'), literal: [], bareW: false };
}

const TONE_MARKS = {
  s: '\u0301', // sắc
  f: '\u0300', // huyền
  r: '\u0309', // hỏi
  x: '\u0303', // ngã
  j: '\u0323', // nặng
} as const;
type ToneKey = keyof typeof TONE_MARKS;
const TONE_OF_MARK = new Map<string, ToneKey>(
  Object.entries(TONE_MARKS).map(([key, mark]) => [mark, key as ToneKey]),
);
const ANY_TONE = /[\u0300\u0301\u0303\u0309\u0323]/g;

const VOWELS = new Set(Array.from('aăâeêioôơuưy'));
const INITIALS = [
  'ngh',
  'ng',
  'nh',
  'ch',
  'gh',
  'gi',
  'kh',
  'ph',
  'qu',
  'th',
  'tr',
  'b',
  'c',
  'd',
  'đ',
  'g',
  'h',
  'k',
  'l',
  'm',
  'n',
  'p',
  'q',
  'r',
  's',
  't',
  'v',
  'x',
];
// k ends place names from minority languages (Đắk Lắk, Búk).
const FINALS = new Set(['', 'c', 'ch', 'k', 'm', 'n', 'ng', 'nh', 'p', 't']);
const LETTER = /[\p{L}\p{M}]/u;

/** A word split into its parts, all lower case and without tone. */
interface Syllable {
  readonly initial: string;
  readonly vowels: string;
  readonly final: string;
}

function isToneKey(key: string): key is ToneKey {
  return key in TONE_MARKS;
}

/** The word without its tone mark, and the tone key it had (null: none). */
function splitTone(word: string): { bare: string; tone: ToneKey | null } {
  const decomposed = word.normalize('NFD');
  const mark = decomposed.match(ANY_TONE)?.[0];
  return {
    bare: decomposed.replace(ANY_TONE, '').normalize('NFC'),
    tone: mark === undefined ? null : (TONE_OF_MARK.get(mark) ?? null),
  };
}

/**
 * Splits a lower-case toneless word into initial, vowels and final; null if it cannot be a
 * Vietnamese syllable or the start of one.
 */
function parseSyllable(bare: string): Syllable | null {
  for (const initial of [...INITIALS, '']) {
    if (!bare.startsWith(initial)) continue;
    let rest = bare.slice(initial.length);
    let head = initial;
    // "gi" and "qu" are consonants only before another vowel (già, quá; but gì, and "qu" alone).
    if ((initial === 'gi' || initial === 'qu') && !VOWELS.has(rest[0] ?? '')) {
      head = initial[0] ?? '';
      rest = bare.slice(head.length);
    }
    let i = 0;
    while (i < rest.length && VOWELS.has(rest[i] ?? '')) i += 1;
    const vowels = rest.slice(0, i);
    const final = rest.slice(i);
    if (vowels === '' && final !== '') continue;
    if (!FINALS.has(final)) continue;
    return { initial: head, vowels, final };
  }
  return null;
}

/** Index (within the vowels) that carries the tone, by the modern rule. */
function toneIndex(vowels: string, final: string): number {
  const marked = Array.from(vowels)
    .map((v, i) => ('ăâêôơư'.includes(v) ? i : -1))
    .filter((i) => i >= 0);
  if (marked.length > 0) return marked[marked.length - 1] ?? 0;
  if (vowels.length === 1) return 0;
  if (final !== '') return vowels.length - 1;
  if (vowels.length >= 3) return 1;
  return ['oa', 'oe', 'uy'].includes(vowels) ? 1 : 0;
}

/** Puts `tone` (or none) on a toneless word, keeping the case of each letter. */
function placeTone(bare: string, tone: ToneKey | null): string {
  if (tone === null) return bare;
  const syllable = parseSyllable(bare.toLowerCase());
  if (syllable === null || syllable.vowels === '') return bare;
  const at = syllable.initial.length + toneIndex(syllable.vowels, syllable.final);
  const chars = Array.from(bare);
  chars[at] = `${chars[at] ?? ''}${TONE_MARKS[tone]}`.normalize('NFC');
  return chars.join('');
}

/** Replaces the letter at `index` with `lower` in the case of the letter it replaces. */
function swapLetter(chars: string[], index: number, lower: string): void {
  const old = chars[index] ?? '';
  chars[index] = old === old.toLowerCase() ? lower : lower.toUpperCase();
}

/** Same letter in the key's case. */
function inCaseOf(key: string, lower: string): string {
  return key === key.toLowerCase() ? lower : lower.toUpperCase();
}

type WordResult = { word: string; undone?: string; bareW?: true } | null;

/** Applies a hat key (a, e, o) to the toneless word; null when it is just a letter. */
function applyHat(bare: string, syllable: Syllable, key: string): WordResult {
  const lowerKey = key.toLowerCase();
  const hat = { a: 'â', e: 'ê', o: 'ô' }[lowerKey];
  if (hat === undefined) return null;
  const chars = Array.from(bare);
  const start = syllable.initial.length;
  const lowerChars = chars.map((c) => c.toLowerCase());
  for (let i = start + syllable.vowels.length - 1; i >= start; i -= 1) {
    const c = lowerChars[i];
    if (c === hat) {
      swapLetter(chars, i, lowerKey);
      return { word: chars.join('') + key, undone: lowerKey };
    }
    // aw then a makes â (ă → â), ow then o makes ô.
    if (c === lowerKey || (lowerKey === 'a' && c === 'ă') || (lowerKey === 'o' && c === 'ơ')) {
      swapLetter(chars, i, hat);
      return { word: chars.join('') };
    }
  }
  return null;
}

/** Applies w (breve or horn) to the toneless word; null when it is just a letter. */
function applyW(bare: string, syllable: Syllable, key: string, bareW: boolean): WordResult {
  const chars = Array.from(bare);
  const start = syllable.initial.length;
  const v = syllable.vowels;
  const at = (i: number, lower: string) => {
    swapLetter(chars, start + i, lower);
  };
  const uo = /u(o|ô)|ư(o|ô)|uơ/.exec(v);
  if (uo !== null) {
    at(uo.index, 'ư');
    at(uo.index + 1, 'ơ');
    return { word: chars.join('') };
  }
  if (v.includes('ươ')) {
    const i = v.indexOf('ươ');
    at(i, 'u');
    at(i + 1, 'o');
    return { word: chars.join('') + key, undone: 'w' };
  }
  if (v === 'ưa') {
    at(0, 'u');
    return { word: chars.join('') + key, undone: 'w' };
  }
  if (v === 'ua' || v === 'uâ') {
    at(0, 'ư');
    if (v === 'uâ') at(1, 'a');
    return { word: chars.join('') };
  }
  const a = v.search(/[aâ]/);
  if (a >= 0) {
    at(a, 'ă');
    return { word: chars.join('') };
  }
  const o = v.search(/[oô]/);
  if (o >= 0) {
    at(o, 'ơ');
    return { word: chars.join('') };
  }
  const u = v.indexOf('u');
  if (u >= 0) {
    at(u, 'ư');
    return { word: chars.join('') };
  }
  const done = v.search(/[ăơư]/);
  if (done >= 0) {
    const back = { ă: 'a', ơ: 'o', ư: 'u' }[v[done] ?? 'ă'] ?? 'a';
    // A lone ư made by w alone goes back to the w that made it (ww → w, but uww → uw).
    if (bareW && v === 'ư' && syllable.final === '' && chars.length === start + 1) {
      chars.pop();
      return { word: chars.join('') + key, undone: 'w' };
    }
    at(done, back);
    return { word: chars.join('') + key, undone: 'w' };
  }
  if (v === '' && syllable.final === '') return { word: bare + inCaseOf(key, 'ư'), bareW: true };
  return null;
}

/** The current word after a letter key, and a key to type literally from now on (an undo). */
function typeInWord(word: string, key: string, state: TelexState): WordResult {
  const { literal } = state;
  const lowerKey = key.toLowerCase();
  if (literal.includes(lowerKey)) return null;
  const { bare, tone } = splitTone(word);
  const syllable = parseSyllable(bare.toLowerCase());
  if (syllable === null) return null;
  if (isToneKey(lowerKey) || lowerKey === 'z') {
    if (syllable.vowels === '') return null;
    if (lowerKey === 'z') return tone === null ? null : { word: bare };
    if (tone === lowerKey) return { word: bare + key, undone: lowerKey };
    return { word: placeTone(bare, lowerKey) };
  }
  let changed: WordResult = null;
  if (lowerKey === 'd' && bare.toLowerCase() === 'd') {
    changed = { word: inCaseOf(bare, 'đ') };
  } else if (lowerKey === 'd' && bare.toLowerCase() === 'đ') {
    changed = { word: inCaseOf(bare, 'd') + key, undone: 'd' };
  } else if (lowerKey === 'w') {
    changed = applyW(bare, syllable, key, state.bareW);
  } else {
    changed = applyHat(bare, syllable, key);
  }
  const next = changed ?? { word: bare + key };
  // The tone follows the word as it grows (hoá + n → hoán); an impossible word drops it.
  const placed = placeTone(next.word, tone);
  if (tone !== null && placed === next.word) {
    if (changed === null) return null;
    return next;
  }
  return { ...next, word: placed };
}

/** The state after one key: a printable character, or 'Backspace'. */
export function telexKey(state: TelexState, key: string): TelexState {
  if (key === 'Backspace') {
    const chars = Array.from(state.text);
    chars.pop();
    return { text: chars.join(''), literal: [], bareW: false };
  }
  if (key.length === 0) return state;
  if (!/^[a-zA-Z]$/.test(key)) {
    // A space, digit or punctuation ends the word; anything else is typed as is.
    return { text: (state.text + key).normalize('NFC'), literal: [], bareW: false };
  }
  const letters = Array.from(state.text);
  let cut = letters.length;
  while (cut > 0 && LETTER.test(letters[cut - 1] ?? '')) cut -= 1;
  const before = letters.slice(0, cut).join('');
  const word = letters.slice(cut).join('');
  const result = typeInWord(word, key, state);
  if (result === null) return { text: state.text + key, literal: state.literal, bareW: false };
  return {
    text: (before + result.word).normalize('NFC'),
    literal: result.undone === undefined ? state.literal : [...state.literal, result.undone],
    bareW: result.bareW === true,
  };
}

/** The text after typing every character of `keys` from `from` (default: nothing). */
export function telexType(keys: string, from: TelexState = EMPTY_TELEX): string {
  let state = from;
  for (const key of keys) state = telexKey(state, key);
  return state.text;
}
