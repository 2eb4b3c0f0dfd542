/** One CSV record: its fields, the physical line it starts on, and a quoting error if any. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
  readonly error?: string;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/**
 * A streaming RFC 4180 reader: feed it text in chunks of any size (split anywhere, even inside
 * a quoted field or a CRLF) and it returns the records completed so far. Accepts CRLF, LF or CR
 * line ends, `""` escapes, newlines inside quotes, and strips a leading BOM. Blank lines are
 * skipped. Malformed quoting does not stop the reader: the record carries an `error`.
 */
export class CsvReader {
  private state = FIELD_START;
  private field = '';
  private fields: string[] = [];
  private error: string | undefined;
  private quoted = false;
  private line = 1;
  private recordLine = 1;
  private skipLF = false;
  private started = false;
  private out: CsvRecord[] = [];

  /** Feeds the next chunk of text; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const n = text.length;
    let i = 0;
    while (i < n) {
      let c = text.charCodeAt(i);
      if (this.skipLF) {
        this.skipLF = false;
        if (c === LF) {
          i++;
          continue;
        }
      }
      if (this.state === FIELD_START && c === QUOTE) {
        this.state = QUOTED;
        this.quoted = true;
        i++;
        continue;
      }
      if (this.state === FIELD_START || this.state === UNQUOTED) {
        let j = i;
        while (j < n) {
          c = text.charCodeAt(j);
          if (c === COMMA || c === CR || c === LF || c === QUOTE) break;
          j++;
        }
        this.field += text.slice(i, j);
        this.state = UNQUOTED;
        if (j === n) break;
        i = j + 1;
        if (c === QUOTE) {
          this.error ??= 'a quote inside an unquoted field';
          this.field += '"';
        } else if (c === COMMA) {
          this.endField();
        } else {
          this.endField();
          this.endRecord(c === CR);
        }
        continue;
      }
      if (this.state === QUOTED) {
        const q = text.indexOf('"', i);
        const end = q === -1 ? n : q;
        const part = text.slice(i, end);
        this.field += part;
        this.line += countLineEnds(part);
        if (q === -1) break;
        i = q + 1;
        this.state = QUOTE_IN_QUOTED;
        continue;
      }
      // QUOTE_IN_QUOTED: the quote either escaped a quote or closed the field.
      i++;
      if (c === QUOTE) {
        this.field += '"';
        this.state = QUOTED;
      } else if (c === COMMA) {
        this.endField();
      } else if (c === CR || c === LF) {
        this.endField();
        this.endRecord(c === CR);
      } else {
        this.error ??= 'text after a closing quote';
        this.field += text[i - 1] ?? '';
        this.state = UNQUOTED;
      }
    }
    return this.take();
  }

  /** Ends the input; returns the last record if the text did not end with a line end. */
  end(): CsvRecord[] {
    if (this.state === QUOTED) this.error ??= 'a quoted field is not closed before the end of the file';
    if (this.fields.length > 0 || this.field !== '' || this.state !== FIELD_START) {
      this.endField();
      this.endRecord(false);
    }
    return this.take();
  }

  private take(): CsvRecord[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = FIELD_START;
  }

  private endRecord(cr: boolean): void {
    const blank = this.fields.length === 1 && this.fields[0] === '' && !this.quoted;
    if (!blank) {
      this.out.push(
        this.error === undefined
          ? { line: this.recordLine, fields: this.fields }
          : { line: this.recordLine, fields: this.fields, error: this.error },
      );
    }
    this.fields = [];
    this.error = undefined;
    this.quoted = false;
    this.state = FIELD_START;
    this.line++;
    this.recordLine = this.line;
    this.skipLF = cr;
  }
}

function countLineEnds(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR && text.charCodeAt(i + 1) !== LF) count++;
  }
  return count;
}
