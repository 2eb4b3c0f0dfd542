/** A byte-order mark: spreadsheets then read the file as UTF-8 (Vietnamese stays readable). */
export const UTF8_BOM = '\uFEFF';

/**
 * One CSV cell, safe to open in a spreadsheet: a text starting with `=`, `+`, `-`, `@`, a tab
 * or a carriage return gets a leading `'` (it would otherwise run as a formula), then RFC 4180
 * quoting when it holds a comma, a quote or a line break. Null is an empty cell.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line (CRLF-terminated, RFC 4180). */
export function csvLine(cells: readonly (string | number | boolean | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
