import Type from 'typebox';

/** Kinds of subject a list entry or a scan can name. */
export const SUBJECT_KINDS = ['personal_id', 'passport', 'plate'] as const;
/** Kind of subject. */
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/**
 * A subject in canonical form: a 12-digit personal ID, an upper-case passport number, or a
 * compact upper-case plate (`51F12345`). Lists are keyed on `canonicalSubjectKey(subject)`.
 */
export interface Subject {
  readonly kind: SubjectKind;
  readonly value: string;
}

/** Schema of a subject as it is typed into lists and manual entry (any of the three kinds). */
export const SubjectText = Type.String({ minLength: 1, maxLength: 32 });

const PERSONAL_ID = /^\d{12}$/;
const PASSPORT = /^[A-Z]{1,2}\d{7,8}$/;
const PLATE = /^\d{2}[A-Z]{1,2}\d{4,6}$/;

/**
 * The string both the server and the lane hash (keyed) to find a subject in a list.
 * The kind prefix keeps a plate and a passport that happen to share characters apart.
 */
export function canonicalSubjectKey(subject: Subject): string {
  return `${subject.kind}:${subject.value}`;
}

/** Upper-case, drop spaces, dots and dashes: the compact form of a plate or passport. */
export function compactCode(text: string): string {
  return text
    .normalize('NFC')
    .toUpperCase()
    .replace(/[\s.\-_/]/g, '');
}

/**
 * Reads a subject as an admin or officer types it (list CSV `id` column, manual entry):
 * 12 digits, a passport number (`B1234567`) or a plate (`51F-123.45`). Null if it is none.
 */
export function parseSubjectText(text: string): Subject | null {
  const compact = compactCode(text.trim());
  if (PERSONAL_ID.test(compact)) return { kind: 'personal_id', value: compact };
  if (PLATE.test(compact)) return { kind: 'plate', value: compact };
  if (PASSPORT.test(compact)) return { kind: 'passport', value: compact };
  return null;
}

/**
 * The subject with all but its last `visible` characters hidden, for the officer's screen.
 * Never show a whole subject on a screen or in a log.
 */
export function maskSubject(subject: Subject, visible = 4): string {
  const shown = subject.value.slice(-visible);
  return '•'.repeat(Math.max(0, subject.value.length - shown.length)) + shown;
}
