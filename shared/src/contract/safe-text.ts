// Free text as the HTTP API takes it. PostgreSQL's `text` and `jsonb` cannot hold a NUL
// character (SQLite can), and no C0 control character belongs in a name or a note: the schemas
// refuse them (400) on both engines alike. Text a lane uploads is not refused (a lane keeps and
// resends a refused batch forever): `replaceControlChars` makes it storable and counts what changed.
import Type from 'typebox';

/** Pattern of one-line free text (names, labels): no C0 control character (U+0000–U+001F). */
export const SAFE_TEXT_PATTERN = '^[^\\u0000-\\u001F]*$';

/**
 * Pattern of multi-line free text (notes): tab, line feed and carriage return are allowed (a note
 * may have lines, and a CSV note cell may hold them); every other C0 control character is not.
 */
export const SAFE_MULTILINE_PATTERN = '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const ONE_LINE = /[\u0000-\u001F]/g;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const MULTI_LINE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;

/** A one-line free-text string: refuses NUL and every other C0 control character. */
export function SafeText(options: Omit<Type.TStringOptions, 'pattern'> = {}): Type.TString {
  return Type.String({ ...options, pattern: SAFE_TEXT_PATTERN });
}

/** A multi-line free-text string: tab, LF and CR allowed; NUL and other C0 control characters refused. */
export function SafeMultilineText(options: Omit<Type.TStringOptions, 'pattern'> = {}): Type.TString {
  return Type.String({ ...options, pattern: SAFE_MULTILINE_PATTERN });
}

/** Whether `text` holds a control character its kind of field refuses (one-line, or multi-line). */
export function hasControlChar(text: string, multiline = false): boolean {
  return text.search(multiline ? MULTI_LINE : ONE_LINE) !== -1;
}

/** `text` with each refused control character replaced by U+FFFD, and how many were replaced. */
export function replaceControlChars(
  text: string,
  multiline = false,
): { readonly text: string; readonly replaced: number } {
  if (!hasControlChar(text, multiline)) return { text, replaced: 0 };
  let replaced = 0;
  const out = text.replace(multiline ? MULTI_LINE : ONE_LINE, () => {
    replaced++;
    return '\uFFFD';
  });
  return { text: out, replaced };
}

/**
 * A validator's message with the safe-text patterns said in words (`body/name must match pattern
 * "^[^\u0000-…]*$"` becomes `body/name must not contain control characters …`); other messages unchanged.
 */
export function explainSafeTextPattern(message: string): string {
  return message
    .replaceAll(
      `must match pattern "${SAFE_TEXT_PATTERN}"`,
      'must not contain control characters (U+0000–U+001F, NUL, tab or line breaks)',
    )
    .replaceAll(
      `must match pattern "${SAFE_MULTILINE_PATTERN}"`,
      'must not contain control characters (U+0000–U+001F, NUL) other than tab and line breaks',
    );
}
